package grpc

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

func TestUploadVerifyError(t *testing.T) {
	p := scenarios.New(5)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := newServer(ctx, competitors.ServerConfig{Addr: "127.0.0.1:0", Payloads: p, Verify: true}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := newClient(ctx, competitors.ClientConfig{Addr: s.Addr(), Connections: 1, Payloads: p}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	bad := append([]byte(nil), p.Bytes(200<<10)...)
	bad[130<<10] ^= 1
	err = c.upload(ctx, memoryChunks(bad))
	if status.Code(err) != codes.DataLoss {
		t.Fatalf("upload of a corrupt payload: %v, want DataLoss", err)
	}
	if got := s.Counters(); got.VerifyErrors != 1 || got.Messages != 0 || got.Bytes != uint64(len(bad)) {
		t.Fatalf("counters %+v", got)
	}
	if err := c.upload(ctx, memoryChunks(p.Bytes(200<<10))); err != nil {
		t.Fatalf("upload of the right payload: %v", err)
	}
	if got := s.Counters(); got.VerifyErrors != 1 || got.Messages != 1 {
		t.Fatalf("counters %+v", got)
	}
}
