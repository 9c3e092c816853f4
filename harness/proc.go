package harness

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Timeouts of control requests (variables so that tests can shorten them).
var (
	helloTimeout = 15 * time.Second
	serveTimeout = 40 * time.Second
	markTimeout  = 10 * time.Second
	stopTimeout  = 15 * time.Second
)

// endpoint is one worker the controller drives with the control protocol. A
// local worker process (*proc) is the only kind today; remote mode (issue 6)
// adds the server-only process's control port, which answers "mark" over TCP
// with the same MarkReply (CPU times and counters of its server workers), so
// the controller's window logic stays the same.
type endpoint interface {
	// Name is "server 0", "client 1", ...
	Name() string
	// PID is the worker's process ID (0 when unknown).
	PID() int
	// Procs is the worker's GOMAXPROCS as it reported it (0 when unknown).
	Procs() int
	// Call sends one request and waits for its reply.
	Call(ctx context.Context, req request, timeout time.Duration) (reply, error)
	// Stop asks the worker to stop and makes sure it is gone.
	Stop(ctx context.Context) (*StopReply, error)
	// Kill ends the worker at once.
	Kill()
	// Done is closed when the worker has exited.
	Done() <-chan struct{}
	// Exited reports whether Done is closed.
	Exited() bool
	// ExitError describes how the worker ended (call after Done).
	ExitError() error
}

// errWorkerGone is returned for requests to a worker that has exited.
var errWorkerGone = errors.New("worker exited")

// errNoReply is returned when a worker did not answer in time (it is then
// killed).
var errNoReply = errors.New("no reply")

// proc is the controller's handle on one worker process.
type proc struct {
	name  string // "server 0", "client 1"
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan []byte   // reply lines
	gone  chan struct{} // closed when the process has exited
	hello hello

	mu      sync.Mutex // one request at a time
	exitErr error      // set before gone is closed
	tail    *tailWriter
}

// spawnConfig says how to start workers.
type spawnConfig struct {
	exe        string    // binary to run; "" means os.Executable()
	env        []string  // extra environment
	gomaxprocs int       // 0 leaves the runtime's default
	gogc       int       // GOGC; 0 leaves the environment's
	godebug    string    // GODEBUG settings put before the environment's
	log        io.Writer // receives workers' stderr lines, prefixed
}

// spawn starts a worker process in role and waits for its hello line.
func spawn(ctx context.Context, sc spawnConfig, role string, index int) (*proc, error) {
	exe := sc.exe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("find own binary: %w", err)
		}
	}
	p := &proc{name: fmt.Sprintf("%s %d", role, index), lines: make(chan []byte, 4), gone: make(chan struct{})}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), sc.env...)
	cmd.Env = append(cmd.Env, WorkerEnv+"="+role)
	if sc.gomaxprocs > 0 {
		cmd.Env = append(cmd.Env, "GOMAXPROCS="+strconv.Itoa(sc.gomaxprocs))
	}
	if sc.gogc > 0 {
		// The last GOGC in Env wins over one inherited from os.Environ.
		cmd.Env = append(cmd.Env, "GOGC="+strconv.Itoa(sc.gogc))
	}
	if sc.godebug != "" {
		// Ours first: the runtime applies GODEBUG left to right, so an
		// inherited setting of the same name overrides ours.
		v := sc.godebug
		if inherited := lastEnv(cmd.Env, "GODEBUG"); inherited != "" {
			v += "," + inherited
		}
		cmd.Env = append(cmd.Env, "GODEBUG="+v)
	}
	cmd.Cancel = func() error { return cmd.Process.Kill() }
	cmd.WaitDelay = 2 * time.Second
	setProcAttrs(cmd)
	p.tail = &tailWriter{prefix: "[" + p.name + "] ", out: sc.log}
	cmd.Stderr = p.tail
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", p.name, err)
	}
	p.cmd, p.stdin = cmd, stdin
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		r := bufio.NewReaderSize(stdout, 64*1024)
		for {
			line, err := r.ReadBytes('\n')
			if len(line) > 0 && err == nil {
				p.lines <- line
			}
			if err != nil {
				return
			}
		}
	}()
	go func() {
		<-readerDone
		// exitErr is written before gone is closed; readers wait for gone.
		p.exitErr = cmd.Wait()
		close(p.gone)
	}()
	var r reply
	if err := p.recv(ctx, helloTimeout, &r); err != nil {
		p.Kill()
		return nil, err
	}
	if r.Hello == nil {
		p.Kill()
		return nil, fmt.Errorf("%s: no hello from worker", p.name)
	}
	p.hello = *r.Hello
	return p, nil
}

// Name implements endpoint.
func (p *proc) Name() string { return p.name }

// PID implements endpoint.
func (p *proc) PID() int { return p.hello.PID }

// Procs implements endpoint.
func (p *proc) Procs() int { return p.hello.GOMAXPROCS }

// Done implements endpoint.
func (p *proc) Done() <-chan struct{} { return p.gone }

// ExitError implements endpoint.
func (p *proc) ExitError() error { return p.goneError(nil) }

// Call sends req and waits for its reply.
func (p *proc) Call(ctx context.Context, req request, timeout time.Duration) (reply, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var r reply
	b, err := json.Marshal(req)
	if err != nil {
		return r, fmt.Errorf("%s: %w", p.name, err)
	}
	b = append(b, '\n')
	if _, err := p.stdin.Write(b); err != nil {
		return r, p.goneError(fmt.Errorf("%s: send %s: %w", p.name, req.Op, err))
	}
	if err := p.recv(ctx, timeout, &r); err != nil {
		if errors.Is(err, errNoReply) {
			// A late reply would be taken for the next request's: a worker
			// that stops answering is ended, never talked to again.
			p.Kill()
		}
		return r, err
	}
	if r.Error != "" {
		return r, fmt.Errorf("%s: %s", p.name, r.Error)
	}
	return r, nil
}

func (p *proc) recv(ctx context.Context, timeout time.Duration, r *reply) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case line := <-p.lines:
		if err := json.Unmarshal(line, r); err != nil {
			return fmt.Errorf("%s: bad reply: %w", p.name, err)
		}
		return nil
	case <-p.gone:
		// A reply may have raced with the exit.
		select {
		case line := <-p.lines:
			if err := json.Unmarshal(line, r); err == nil {
				return nil
			}
		default:
		}
		return p.goneError(nil)
	case <-t.C:
		return fmt.Errorf("%s: %w within %v", p.name, errNoReply, timeout)
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", p.name, ctx.Err())
	}
}

// goneError describes the worker's exit (with the end of its stderr).
func (p *proc) goneError(cause error) error {
	select {
	case <-p.gone:
	case <-time.After(500 * time.Millisecond):
		if cause != nil {
			return cause
		}
		return fmt.Errorf("%w: %s closed its control channel", errWorkerGone, p.name)
	}
	msg := fmt.Sprintf("%s exited", p.name)
	if p.exitErr != nil {
		msg += ": " + p.exitErr.Error()
	}
	if t := p.tail.last(); t != "" {
		msg += " (last output: " + t + ")"
	}
	return fmt.Errorf("%w: %s", errWorkerGone, msg)
}

// Exited reports whether the process has exited.
func (p *proc) Exited() bool {
	select {
	case <-p.gone:
		return true
	default:
		return false
	}
}

// Stop asks the worker to stop, then makes sure it is gone.
func (p *proc) Stop(ctx context.Context) (*StopReply, error) {
	var sr *StopReply
	var err error
	if !p.Exited() {
		var r reply
		r, err = p.Call(ctx, request{Op: opStop}, stopTimeout)
		sr = r.Stop
	}
	_ = p.stdin.Close()
	select {
	case <-p.gone:
	case <-time.After(3 * time.Second):
		p.Kill()
	}
	return sr, err
}

// Kill ends the process at once and waits for it.
func (p *proc) Kill() {
	if p.cmd != nil && p.cmd.Process != nil && !p.Exited() {
		killTree(p.cmd)
	}
	if p.stdin != nil {
		_ = p.stdin.Close()
	}
	select {
	case <-p.gone:
	case <-time.After(5 * time.Second):
	}
}

// tailWriter forwards a worker's stderr line by line with a prefix and keeps
// the last lines for error messages.
type tailWriter struct {
	prefix string
	out    io.Writer
	mu     sync.Mutex
	buf    []byte
	lines  []string
}

func (t *tailWriter) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	for {
		i := bytes.IndexByte(t.buf, '\n')
		if i < 0 {
			break
		}
		line := string(t.buf[:i])
		t.buf = t.buf[i+1:]
		t.lines = append(t.lines, line)
		if len(t.lines) > 5 {
			t.lines = t.lines[1:]
		}
		if t.out != nil {
			fmt.Fprintf(t.out, "%s%s\n", t.prefix, line)
		}
	}
	if len(t.buf) > 64*1024 {
		t.buf = t.buf[:0]
	}
	return len(b), nil
}

func (t *tailWriter) last() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := t.lines
	if len(t.buf) > 0 {
		lines = append(lines, string(t.buf))
	}
	if len(lines) > 3 {
		lines = lines[len(lines)-3:]
	}
	return strings.Join(lines, " | ")
}

// lastEnv is the value of the last key=value entry for key in env (the one
// exec.Cmd passes on), "" when there is none.
func lastEnv(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if rest, ok := strings.CutPrefix(kv, key+"="); ok {
			v = rest
		}
	}
	return v
}
