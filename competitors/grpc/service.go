package grpc

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

// The benchmark service, registered by hand (no generated code):
//
//	service Bench {
//	  rpc Fast(google.protobuf.Empty) returns (google.protobuf.Empty);
//	  rpc Ping(google.protobuf.Empty) returns (google.protobuf.BytesValue);
//	  rpc Upload(stream google.protobuf.BytesValue) returns (google.protobuf.Empty);
//	  rpc Echo(stream google.protobuf.BytesValue) returns (stream google.protobuf.BytesValue);
//	}
const (
	serviceName  = "sockety.bench.v1.Bench"
	methodFast   = "/" + serviceName + "/Fast"
	methodPing   = "/" + serviceName + "/Ping"
	methodUpload = "/" + serviceName + "/Upload"
	methodEcho   = "/" + serviceName + "/Echo"
)

// pong is the tiny body of a regular response.
var pong = []byte("pong")

// handler implements the service and counts what it receives.
type handler struct {
	payloads *scenarios.Payloads
	verify   bool
	delay    time.Duration

	messages, bytes, verifyErrs atomic.Uint64
}

func (h *handler) counters() competitors.ServerCounters {
	return competitors.ServerCounters{
		Messages: h.messages.Load(), Bytes: h.bytes.Load(), VerifyErrors: h.verifyErrs.Load(),
	}
}

func (h *handler) wait() {
	if h.delay > 0 {
		time.Sleep(h.delay)
	}
}

var errVerify = status.Error(codes.DataLoss, "payload did not verify")

// receive reads a client stream to its end, counting every chunk and, with
// verify, checking it against the run's payloads; each chunk is passed to
// each (which may be nil). A stream cut short or not matching counts one
// verify error.
func (h *handler) receive(stream grpc.ServerStream, each func(*wrapperspb.BytesValue) error) error {
	off, ok := 0, true
	for {
		m := new(wrapperspb.BytesValue)
		if err := stream.RecvMsg(m); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			h.verifyErrs.Add(1)
			return err
		}
		if ok && h.verify && !h.payloads.Match(off, m.Value) {
			ok = false
		}
		off += len(m.Value)
		h.bytes.Add(uint64(len(m.Value)))
		if each != nil {
			if err := each(m); err != nil {
				return err
			}
		}
	}
	if !ok {
		h.verifyErrs.Add(1)
		return errVerify
	}
	return nil
}

func fastHandler(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
	h := srv.(*handler)
	in := new(emptypb.Empty)
	if err := dec(in); err != nil {
		return nil, err
	}
	h.wait()
	h.messages.Add(1)
	return in, nil
}

func pingHandler(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
	h := srv.(*handler)
	if err := dec(new(emptypb.Empty)); err != nil {
		return nil, err
	}
	h.wait()
	h.messages.Add(1)
	return wrapperspb.Bytes(pong), nil
}

func uploadHandler(srv any, stream grpc.ServerStream) error {
	h := srv.(*handler)
	h.wait()
	if err := h.receive(stream, nil); err != nil {
		return err
	}
	h.messages.Add(1)
	return stream.SendMsg(new(emptypb.Empty))
}

func echoHandler(srv any, stream grpc.ServerStream) error {
	h := srv.(*handler)
	h.wait()
	// Each message is sent back as it arrives (a stream echo, not a
	// store-and-forward); the client's half-close ends the echo.
	if err := h.receive(stream, func(m *wrapperspb.BytesValue) error { return stream.SendMsg(m) }); err != nil {
		return err
	}
	h.messages.Add(1)
	return nil
}

var serviceDesc = grpc.ServiceDesc{
	ServiceName: serviceName,
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{
		{MethodName: "Fast", Handler: fastHandler},
		{MethodName: "Ping", Handler: pingHandler},
	},
	Streams: []grpc.StreamDesc{
		{StreamName: "Upload", Handler: uploadHandler, ClientStreams: true},
		{StreamName: "Echo", Handler: echoHandler, ClientStreams: true, ServerStreams: true},
	},
	Metadata: "sockety-harness/competitors/grpc",
}

var (
	uploadDesc = &serviceDesc.Streams[0]
	echoDesc   = &serviceDesc.Streams[1]
)
