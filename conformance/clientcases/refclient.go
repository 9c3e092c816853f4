package clientcases

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sockety-harness/sockety-harness/sockety"
	"github.com/sockety-harness/sockety-harness/sockety/contract"
)

// RunReference is our client under test: it connects to addr with the sockety package, serves
// the contract for the runner's messages, runs the script and reports. It returns when the
// runner has sent Go Away and the connection is closed, or on the first transport error.
func RunReference(ctx context.Context, addr string, opts *sockety.Options) error {
	return runScript(ctx, addr, opts, contract.NewContractHandler())
}

// runScript runs the script with h serving the runner's messages (tests swap in broken ones).
func runScript(ctx context.Context, addr string, opts *sockety.Options, h sockety.Handler) error {
	o := sockety.Options{}
	if opts != nil {
		o = *opts
	}
	o.Handler = h
	c, err := sockety.Dial(ctx, "tcp", addr, &o)
	if err != nil {
		return fmt.Errorf("reference client: %w", err)
	}
	defer c.Close()
	res := map[int]error{}
	call := func(o *sockety.Outgoing) (sockety.Reply, error) {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return c.Call(cctx, o)
	}
	// 1
	if err := c.Pass(ctx, &sockety.Outgoing{Action: "ping"}); err != nil {
		return fmt.Errorf("step 1: %w", err)
	}
	// 2-5
	for i, code := range []int{0, 15, 16, 4095} {
		step := 2 + i
		action, data := "code", []byte(strconv.Itoa(code))
		if step == 2 {
			action, data = "fast", nil
		}
		r, err := call(&sockety.Outgoing{Action: action, Data: data})
		if err != nil {
			return fmt.Errorf("step %d: %w", step, err)
		}
		res[step] = wantFast(r, code)
	}
	// 6
	r, err := call(&sockety.Outgoing{Action: "echo", Data: []byte("hello")})
	if err != nil {
		return fmt.Errorf("step 6: %w", err)
	}
	res[6] = wantEcho(r, []byte("hello"), nil, nil, "")
	// 7
	names, contents := ScriptFiles()
	var files []sockety.OutFile
	for i := range names {
		files = append(files, sockety.OutFile{Name: names[i], Data: contents[i]})
	}
	if r, err = call(&sockety.Outgoing{Action: "echo", Files: files}); err != nil {
		return fmt.Errorf("step 7: %w", err)
	}
	res[7] = wantEcho(r, nil, names, contents, "")
	// 8
	big := Pattern(BigData)
	if r, err = call(&sockety.Outgoing{Action: "echo", Data: big}); err != nil {
		return fmt.Errorf("step 8: %w", err)
	}
	res[8] = wantEcho(r, big, nil, nil, "")
	// 9
	req, err := c.Send(ctx, &sockety.Outgoing{Action: "echo", Stream: true})
	if err != nil {
		return fmt.Errorf("step 9: %w", err)
	}
	for _, ch := range StreamChunks {
		if _, err := req.Stream().Write([]byte(ch)); err != nil {
			return fmt.Errorf("step 9: %w", err)
		}
	}
	if err := req.Stream().Close(); err != nil {
		return fmt.Errorf("step 9: %w", err)
	}
	res[9] = wantReply(ctx, req, strings.Join(StreamChunks, ""))
	// 10
	var reqs []*sockety.Request
	for i := 0; i < ConcurrentStreams; i++ {
		rq, err := c.Send(ctx, &sockety.Outgoing{Action: "echo", Stream: true})
		if err != nil {
			return fmt.Errorf("step 10: %w", err)
		}
		reqs = append(reqs, rq)
	}
	for i, rq := range reqs {
		if _, err := rq.Stream().Write([]byte(fmt.Sprintf("s%d", i))); err != nil {
			return fmt.Errorf("step 10: %w", err)
		}
		if err := rq.Stream().Close(); err != nil {
			return fmt.Errorf("step 10: %w", err)
		}
	}
	for i, rq := range reqs {
		if err := wantReply(ctx, rq, fmt.Sprintf("s%d", i)); err != nil {
			res[10] = fmt.Errorf("message %d: %w", i, err)
			break
		}
		res[10] = nil
	}
	// 11
	if r, err = call(&sockety.Outgoing{Action: "echo", Data: []byte("serve-me")}); err != nil {
		return fmt.Errorf("step 11: %w", err)
	}
	res[11] = wantEcho(r, []byte("serve-me"), nil, nil, "")
	// 12
	if r, err = call(&sockety.Outgoing{Action: "report", Data: FormatReport(res)}); err != nil {
		return fmt.Errorf("step 12: %w", err)
	}
	if err := wantFast(r, 0); err != nil {
		return fmt.Errorf("step 12: %w", err)
	}
	// Go Away, then close.
	deadline := time.NewTimer(5 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !c.PeerGoingAway() {
		select {
		case <-c.Done():
			return nil
		case <-deadline.C:
			return errors.New("reference client: no Go Away from the runner")
		case <-tick.C:
		}
	}
	return c.Close()
}

func wantFast(r sockety.Reply, code int) error {
	if !r.IsFast() {
		r.Response.Discard()
		return fmt.Errorf("got a Response, want Fast Reply %d", code)
	}
	if int(r.Code) != code {
		return fmt.Errorf("got Fast Reply %d, want %d", r.Code, code)
	}
	return nil
}

func wantEcho(r sockety.Reply, data []byte, names []string, contents [][]byte, stream string) error {
	if r.IsFast() {
		return fmt.Errorf("got Fast Reply %d, want a Response", r.Code)
	}
	resp := r.Response
	defer resp.Discard()
	got, err := resp.Data().Bytes()
	if err != nil {
		return fmt.Errorf("reading data: %w", err)
	}
	if !bytes.Equal(got, data) {
		return fmt.Errorf("data: got %d bytes, want %d", len(got), len(data))
	}
	fs := resp.Files()
	if len(fs) != len(names) {
		return fmt.Errorf("got %d files, want %d", len(fs), len(names))
	}
	for i := range fs {
		b, err := fs[i].Bytes()
		if err != nil {
			return fmt.Errorf("reading file %d: %w", i, err)
		}
		if fs[i].Name != names[i] || !bytes.Equal(b, contents[i]) {
			return fmt.Errorf("file %d: got %q (%d bytes), want %q (%d bytes)", i, fs[i].Name, len(b), names[i], len(contents[i]))
		}
	}
	if st := resp.Stream(); st != nil {
		b, err := io.ReadAll(st)
		if err != nil {
			return fmt.Errorf("reading stream: %w", err)
		}
		if string(b) != stream {
			return fmt.Errorf("stream: got %q, want %q", b, stream)
		}
	} else if stream != "" {
		return errors.New("no stream in the response")
	}
	return nil
}

func wantReply(ctx context.Context, req *sockety.Request, stream string) error {
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	r, err := req.Response(rctx)
	if err != nil {
		return fmt.Errorf("waiting for the response: %w", err)
	}
	return wantEcho(r, nil, nil, nil, stream)
}
