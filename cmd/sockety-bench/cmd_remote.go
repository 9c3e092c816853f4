package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/harness"
)

// checkRemoteFlags validates the remote-mode flags (issue 6).
func checkRemoteFlags(c config, set map[string]bool) error {
	switch {
	case c.ServerOnly && c.Remote != "":
		return usagef("--server-only and --remote exclude each other (one runs on the server host, the other on the client hosts)")
	case c.ServerOnly && c.Port == 0:
		return usagef("You need to set port statically (-p) for --server-only.")
	case set["control-port"] && (c.ControlPort < 1 || c.ControlPort > 65535):
		return usagef("invalid --control-port %d: must be 1..65535", c.ControlPort)
	case !set["control-port"] && c.Port == 65535 && c.ServerOnly && !c.NoControl:
		return usagef("--port 65535 leaves no default control port: set --control-port")
	case (c.Cert == "") != (c.Key == ""):
		return usagef("--cert and --key go together")
	case c.Cert != "" && !c.ServerOnly:
		return usagef("--cert/--key are for --server-only (the client takes --ca or --insecure)")
	case (c.CA != "" || c.Insecure) && c.Remote == "":
		return usagef("--ca and --insecure are for --remote (local runs use a generated certificate)")
	case c.CA != "" && c.Insecure:
		return usagef("--ca and --insecure exclude each other")
	case set["token"] && c.Token == "":
		return usagef("invalid --token: empty")
	case c.NoControl && !c.ServerOnly:
		return usagef("--no-control is for --server-only")
	case (set["control-port"] || set["token"]) && !c.ServerOnly && c.Remote == "":
		return usagef("--control-port and --token are for --server-only and --remote")
	}
	if c.Token != "" {
		if err := harness.CheckToken(c.Token); err != nil {
			return usagef("invalid --token: %v", err)
		}
	}
	return nil
}

// controlPort is the control channel's port for these flags.
func (c config) controlPort() int {
	if c.ControlPort != 0 {
		return c.ControlPort
	}
	return c.Port + 1
}

// oneSuite applies the filters and requires exactly one suite.
func oneSuite(cfg config, mode string, stderr io.Writer) (harness.Selection, bool) {
	sel := harness.Select(competitors.All(), cfg.Filters, cfg.Excludes)
	switch len(sel) {
	case 0:
		fmt.Fprintf(stderr, "sockety-bench: %s: no suite matches the filters; add -f/-e so that one suite matches.\n", mode)
		return harness.Selection{}, false
	case 1:
		return sel[0], true
	}
	var names []string
	for _, s := range sel {
		names = append(names, s.Suite.Name())
	}
	fmt.Fprintf(stderr, "sockety-bench: %s runs one suite, but %d match (%s); add -f/-e so that one suite matches, e.g. -f %q -e tls.\n",
		mode, len(sel), strings.Join(names, ", "), strings.ToLower(strings.Fields(names[0])[0]))
	return harness.Selection{}, false
}

// serverOnly runs --server-only: the suite's server workers and the control
// channel, until SIGINT/SIGTERM.
func serverOnly(cfg config, stdout, stderr io.Writer) int {
	sel, ok := oneSuite(cfg, "--server-only", stderr)
	if !ok {
		return 2
	}
	token := cfg.Token
	if token == "" && !cfg.NoControl {
		var err error
		if token, err = harness.NewToken(); err != nil {
			fmt.Fprintf(stderr, "sockety-bench: %v\n", err)
			return 1
		}
	}
	var tlsMat *competitors.TLS
	if cfg.Cert != "" {
		var err error
		if tlsMat, err = harness.LoadServerTLS(cfg.Cert, cfg.Key); err != nil {
			fmt.Fprintf(stderr, "sockety-bench: %v\n", err)
			return 2
		}
	}
	opt := harness.Options{Servers: cfg.Servers, ServerProcs: cfg.ServerProcs, Seed: cfg.Seed, Verify: cfg.Verify, Port: cfg.Port}
	opt.Normalize()
	cp := cfg.controlPort()
	if cfg.NoControl {
		cp = -1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var certDir string
	defer func() {
		if certDir != "" {
			_ = os.RemoveAll(certDir)
		}
	}()
	ready := func(info harness.ServeOnlyInfo) {
		h := info.Hello
		key := func(k string) string { return fmt.Sprintf("%16s", k) }
		fmt.Fprintf(stdout, "%s %s (server-only)\n", key("Serving:"), h.Suite)
		fmt.Fprintf(stdout, "%s %s\n", key("Address:"), info.Addr)
		fmt.Fprintf(stdout, "%s %s\n", key("Benchmarks:"), strings.Join(h.Benchmarks, ", "))
		fmt.Fprintf(stdout, "%s %d (GOMAXPROCS %d)\n", key("Server workers:"), len(h.Workers), opt.ServerProcs)
		fmt.Fprintf(stdout, "%s %s\n", key("Version:"), h.Version)
		fmt.Fprintf(stdout, "%s %d\n", key("Seed:"), h.Seed)
		if info.ControlAddr != "" {
			fmt.Fprintf(stdout, "%s %s (figures only; every request needs the token)\n", key("Control port:"), info.ControlAddr)
			fmt.Fprintf(stdout, "%s %s\n", key("Token:"), token)
		} else {
			fmt.Fprintf(stdout, "%s none (--no-control): clients show server CPU as n/a\n", key("Control port:"))
		}
		if h.TLS && info.TLS != nil {
			fp := harness.CertFingerprint(info.TLS.CertPEM)
			if cfg.Cert != "" {
				fmt.Fprintf(stdout, "%s %s (SHA-256 %s)\n", key("TLS certificate:"), cfg.Cert, fp)
			} else if dir, err := os.MkdirTemp("", "sockety-bench-cert-"); err == nil {
				certDir = dir
				path := filepath.Join(dir, "cert.pem")
				if err := os.WriteFile(path, info.TLS.CertPEM, 0o600); err == nil {
					fmt.Fprintf(stdout, "%s %s (generated, self-signed; SHA-256 %s; removed at exit)\n", key("TLS certificate:"), path, fp)
				}
			}
			fmt.Fprintf(stdout, "%s --ca CERT.pem (a copy of the certificate) or --insecure\n", key("Clients need:"))
		}
		port := strconv.Itoa(cfg.Port)
		hint := "sockety-bench --remote HOST -p " + port
		for _, f := range cfg.Filters {
			hint += fmt.Sprintf(" -f %q", f)
		}
		for _, e := range cfg.Excludes {
			hint += fmt.Sprintf(" -e %q", e)
		}
		if info.ControlAddr != "" {
			if cfg.ControlPort != 0 {
				hint += fmt.Sprintf(" --control-port %d", cfg.ControlPort)
			}
			hint += " --token " + token
		}
		fmt.Fprintf(stdout, "%s %s\n", key("Client command:"), hint)
		fmt.Fprintln(stdout, "Running until interrupted (Ctrl-C or SIGTERM).")
	}
	err := harness.ServeOnly(ctx, harness.ServeOnlyConfig{
		Sel: sel, Port: cfg.Port, ControlPort: cp, Token: token, TLS: tlsMat, Opt: opt, Ready: ready,
	}, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "sockety-bench: --server-only: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "Stopped; every server worker is gone.")
	return 0
}

// prepareRemote checks a --remote run's flags against the server and sets
// cfg.remote. It returns a non-zero exit status when the run must not start.
func prepareRemote(ctx context.Context, cfg *config, stdout, stderr io.Writer) ([]harness.Selection, int) {
	sel, ok := oneSuite(*cfg, "--remote", stderr)
	if !ok {
		return nil, 2
	}
	t := &harness.RemoteTarget{
		Host: cfg.Remote, Port: cfg.Port, Token: cfg.Token,
		ControlAddr: net.JoinHostPort(cfg.Remote, strconv.Itoa(cfg.controlPort())),
	}
	if ts, ok := sel.Suite.(competitors.TLSSuite); ok && ts.UsesTLS() {
		var err error
		if t.TLS, err = harness.LoadClientTLS(cfg.CA, cfg.Insecure); err != nil {
			fmt.Fprintf(stderr, "sockety-bench: %v\n", err)
			return nil, 2
		}
		switch {
		case cfg.Insecure:
			fmt.Fprintln(stderr, "WARNING: --insecure: the server's certificate is NOT verified (anyone on the path can impersonate it).")
		case cfg.CA == "":
			fmt.Fprintln(stderr, "Note: no --ca: the server's certificate is verified against the system roots (a server-only's generated certificate needs --ca FILE).")
		}
	}
	if err := t.Connect(ctx, sel.Suite); err != nil {
		switch {
		case errors.Is(err, harness.ErrUnauthorized):
			fmt.Fprintf(stderr, "sockety-bench: %v: check --token (the server-only process printed it).\n", err)
			return nil, 2
		case errors.Is(err, harness.ErrRemoteMismatch):
			fmt.Fprintf(stderr, "sockety-bench: %v\n", err)
			return nil, 2
		}
		fmt.Fprintf(stderr, "Note: control channel unreachable (%v): running without it; server CPU and delivered show n/a.\n", err)
	} else if cfg.Token == "" {
		fmt.Fprintln(stderr, "Note: no --token: no control channel; server CPU and delivered show n/a.")
	}
	if t.Hello != nil && cfg.Seed != 0 && cfg.Seed != t.Hello.Seed {
		fmt.Fprintf(stderr, "Note: --seed %d ignored: the server-only process uses seed %d.\n", cfg.Seed, t.Hello.Seed)
	}
	cfg.remote = t
	return []harness.Selection{sel}, 0
}

// remoteHeader prints the remote lines after the header.
func remoteHeader(w io.Writer, t *harness.RemoteTarget) {
	if t.Hello != nil {
		fmt.Fprintf(w, "%14s %s (token accepted; %d server workers; server CPU and delivered from it)\n", "Control port:", t.ControlAddr, len(t.Hello.Workers))
	} else {
		fmt.Fprintf(w, "%14s none (server CPU and delivered: n/a)\n", "Control port:")
	}
}
