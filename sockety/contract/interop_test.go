package contract_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/sockety"
	"github.com/sockety-harness/sockety-harness/sockety/contract"
)

// The interoperability tests run against the public Node.js implementation
// when SOCKETY_NODE_INTEROP names a directory with its contract scripts
// (server.js, client.js, tls/cert.pem, tls/key.pem; prepared outside the
// repository). They are skipped otherwise.

func interopDir(t *testing.T) string {
	dir := os.Getenv("SOCKETY_NODE_INTEROP")
	if dir == "" {
		t.Skip("SOCKETY_NODE_INTEROP not set")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not installed")
	}
	return dir
}

func serveContract(t *testing.T, cfg *tls.Config) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &sockety.Server{Handler: contract.NewContractHandler()}
	errc := make(chan error, 1)
	go func() {
		if cfg != nil {
			errc <- srv.ServeTLS(ln, cfg)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-errc
	})
	return ln.Addr().String()
}

func TestNodeClientAgainstGoServer(t *testing.T) {
	dir := interopDir(t)
	for _, useTLS := range []bool{false, true} {
		t.Run("tls="+strconv.FormatBool(useTLS), func(t *testing.T) {
			var cfg *tls.Config
			args := []string{"client.js", "127.0.0.1"}
			if useTLS {
				cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "tls/cert.pem"), filepath.Join(dir, "tls/key.pem"))
				if err != nil {
					t.Fatal(err)
				}
				cfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
			}
			addr := serveContract(t, cfg)
			_, port, _ := net.SplitHostPort(addr)
			args = append(args, port)
			if useTLS {
				args = append(args, "--tls", filepath.Join(dir, "tls/cert.pem"))
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "node", args...)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			t.Logf("node client output:\n%s", out)
			if err != nil {
				t.Fatalf("node client: %v", err)
			}
		})
	}
}

func startNodeServer(t *testing.T, dir string, useTLS bool) string {
	args := []string{"server.js", "0"}
	if useTLS {
		args = append(args, "--tls", "tls/cert.pem", "tls/key.pem")
	}
	cmd := exec.Command("node", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Logf("node server log:\n%s", stderr.String())
	})
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
	}()
	select {
	case l := <-line:
		var v struct {
			Listening int `json:"listening"`
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil || v.Listening == 0 {
			t.Fatalf("node server said %q", l)
		}
		return "127.0.0.1:" + strconv.Itoa(v.Listening)
	case <-time.After(30 * time.Second):
		t.Fatal("node server did not start")
	}
	return ""
}

func TestGoClientAgainstNodeServer(t *testing.T) {
	dir := interopDir(t)
	for _, useTLS := range []bool{false, true} {
		t.Run("tls="+strconv.FormatBool(useTLS), func(t *testing.T) {
			addr := startNodeServer(t, dir, useTLS)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var opts *sockety.Options
			if useTLS {
				pem, err := os.ReadFile(filepath.Join(dir, "tls/cert.pem"))
				if err != nil {
					t.Fatal(err)
				}
				pool := x509.NewCertPool()
				pool.AppendCertsFromPEM(pem)
				opts = &sockety.Options{TLSConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}}
			}
			c, err := sockety.Dial(ctx, "tcp", addr, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			runClientSteps(t, ctx, c)
		})
	}
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

func runClientSteps(t *testing.T, ctx context.Context, c *sockety.Conn) {
	step := func(name string, f func() error) {
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		_ = sctx
		if err := f(); err != nil {
			t.Errorf("%s: FAIL: %v", name, err)
		} else {
			t.Logf("%s: PASS", name)
		}
	}
	step("ping-pass", func() error { return c.Pass(ctx, &sockety.Outgoing{Action: "ping", Data: []byte("x")}) })
	fast := func(action string, data string, want sockety.Code) func() error {
		return func() error {
			rep, err := c.Call(ctx, &sockety.Outgoing{Action: action, Data: []byte(data)})
			if err != nil {
				return err
			}
			if !rep.IsFast() || rep.Code != want {
				return errorf("got %+v, want fast reply %d", rep, want)
			}
			return nil
		}
	}
	step("fast", fast("fast", "", 0))
	step("code-16", fast("code", "16", 16))
	step("code-4095", fast("code", "4095", 4095))
	step("code-15", fast("code", "15", 15))
	step("unknown-action", fast("nothing-here", "", 2))
	for _, n := range []int{0, 100, 70000, 1 << 20} {
		step("echo-data-"+strconv.Itoa(n), func() error {
			d := pattern(n)
			rep, err := c.Call(ctx, &sockety.Outgoing{Action: "echo", Data: d})
			if err != nil {
				return err
			}
			if rep.IsFast() {
				return errorf("fast reply %d", rep.Code)
			}
			got, err := rep.Response.Data().Bytes()
			if err != nil || !bytes.Equal(got, d) {
				return errorf("data %d bytes (err %v), want %d", len(got), err, n)
			}
			return nil
		})
	}
	step("echo-files", func() error {
		files := []sockety.OutFile{{Name: "hello.txt", Data: pattern(1500)}, {Name: "empty.bin"}, {Name: "zażółć.bin", Data: pattern(70000)}}
		rep, err := c.Call(ctx, &sockety.Outgoing{Action: "echo", Data: []byte("with files"), Files: files})
		if err != nil {
			return err
		}
		if rep.IsFast() {
			return errorf("fast reply %d", rep.Code)
		}
		if len(rep.Response.Files()) != len(files) {
			return errorf("%d files", len(rep.Response.Files()))
		}
		for i := range files {
			f := &rep.Response.Files()[i]
			b, err := f.Bytes()
			if err != nil || f.Name != files[i].Name || !bytes.Equal(b, files[i].Data) {
				return errorf("file %d: %q %d bytes err %v", i, f.Name, len(b), err)
			}
		}
		return nil
	})
	step("echo-stream", func() error {
		req, err := c.Send(ctx, &sockety.Outgoing{Action: "echo", Stream: true})
		if err != nil {
			return err
		}
		var all []byte
		for _, n := range []int{11, 1000, 5000} {
			chunk := pattern(n)
			all = append(all, chunk...)
			if _, err := req.Stream().Write(chunk); err != nil {
				return err
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err := req.Stream().Close(); err != nil {
			return err
		}
		rep, err := req.Response(ctx)
		if err != nil {
			return err
		}
		if rep.IsFast() || !rep.Response.HasStream() {
			return errorf("reply %+v without stream", rep)
		}
		got, err := rep.Response.Stream().Bytes()
		if err != nil || !bytes.Equal(got, all) {
			return errorf("stream %d bytes err %v, want %d", len(got), err, len(all))
		}
		return nil
	})
	step("echo-empty", func() error {
		rep, err := c.Call(ctx, &sockety.Outgoing{Action: "echo"})
		if err != nil || rep.IsFast() {
			return errorf("%+v %v", rep, err)
		}
		return nil
	})
}

type stepErr string

func (e stepErr) Error() string { return string(e) }

func errorf(format string, a ...any) error {
	return stepErr(strings.TrimSpace(sprintf(format, a...)))
}

var sprintf = fmt.Sprintf
