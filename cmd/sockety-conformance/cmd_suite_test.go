package main

import (
	"encoding/json"
	"encoding/xml"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockety-harness/sockety-harness/competitors/tlsutil"
	"github.com/sockety-harness/sockety-harness/conformance/mutants"
	"github.com/sockety-harness/sockety-harness/sockety"
	"github.com/sockety-harness/sockety-harness/sockety/contract"
)

func reference(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &sockety.Server{Handler: contract.NewContractHandler()}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func TestServerListAndUsage(t *testing.T) {
	code, out, _ := run(t, nil, "server", "--list")
	if code != 0 || !strings.Contains(out, "message/3.2") || !strings.Contains(out, "splitting/1.3") {
		t.Fatalf("--list: code %d\n%s", code, out)
	}
	if code, _, _ := run(t, nil, "server"); code != 2 {
		t.Errorf("no --target: code %d, want 2", code)
	}
	if code, _, _ := run(t, nil, "server", "--target", "127.0.0.1:1"); code != 2 {
		t.Errorf("unreachable target: code %d, want 2", code)
	}
	addr := reference(t)
	if code, _, errs := run(t, nil, "server", "--target", addr, "--case", "nope/1"); code != 2 || !strings.Contains(errs, "no such case") {
		t.Errorf("unknown case: code %d, %s", code, errs)
	}
}

func TestServerAgainstReferenceAndMutant(t *testing.T) {
	dir := t.TempDir()
	addr := reference(t)
	js, ju := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
	code, out, errs := run(t, nil, "server", "--target", addr, "--group", "fastreply", "--case", "message/3.2", "--json", js, "--junit", ju)
	if code != 0 {
		t.Fatalf("reference: code %d\n%s\n%s", code, out, errs)
	}
	var doc struct {
		Summary struct{ Total, Pass int }
		Results []struct{ ID, Verdict string }
	}
	b, _ := os.ReadFile(js)
	if err := json.Unmarshal(b, &doc); err != nil || doc.Summary.Total < 13 || doc.Summary.Pass != doc.Summary.Total {
		t.Errorf("json: %v %+v", err, doc.Summary)
	}
	x, _ := os.ReadFile(ju)
	var suites struct {
		Suites []struct {
			Tests int `xml:"tests,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(x, &suites); err != nil || len(suites.Suites) != 2 {
		t.Errorf("junit: %v %s", err, x)
	}

	srv, err := mutants.Start("127.0.0.1:0", mutants.FastWrongCode)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	code, out, _ = run(t, nil, "server", "--target", srv.Addr(), "--case", "fastreply/1,fastreply/3")
	if code != 1 || !strings.Contains(out, "wrong fast reply code") || !strings.Contains(out, "expected: code 0") {
		t.Errorf("mutant: code %d\n%s", code, out)
	}
	// Known failures: listed with the right reason -> 0; stale entries -> 1.
	kf := filepath.Join(dir, "known.txt")
	os.WriteFile(kf, []byte("fastreply/1 wrong fast reply code to `fast`\n"), 0o644)
	if code, out, _ := run(t, nil, "server", "--target", srv.Addr(), "--case", "fastreply/1,fastreply/3", "--known-failures", kf); code != 0 {
		t.Errorf("known failure: code %d\n%s", code, out)
	}
	os.WriteFile(kf, []byte("fastreply/1 some other reason\n"), 0o644)
	if code, _, _ := run(t, nil, "server", "--target", srv.Addr(), "--case", "fastreply/1", "--known-failures", kf); code != 1 {
		t.Errorf("known failure with another reason: code %d, want 1", code)
	}
	os.WriteFile(kf, []byte("fastreply/3\n"), 0o644)
	if code, _, _ := run(t, nil, "server", "--target", srv.Addr(), "--case", "fastreply/3", "--known-failures", kf); code != 1 {
		t.Errorf("listed case passes: code %d, want 1", code)
	}
	// Strict: a NON-STRICT verdict fails the run only with --strict.
	wide, err := mutants.Start("127.0.0.1:0", mutants.WideFastReply)
	if err != nil {
		t.Fatal(err)
	}
	defer wide.Close()
	if code, _, _ := run(t, nil, "server", "--target", wide.Addr(), "--case", "fastreply/1"); code != 0 {
		t.Errorf("non-strict without --strict: code %d, want 0", code)
	}
	if code, _, _ := run(t, nil, "server", "--target", wide.Addr(), "--case", "fastreply/1", "--strict"); code != 1 {
		t.Errorf("non-strict with --strict: code %d, want 1", code)
	}
}

func TestClientSelfAndVectors(t *testing.T) {
	code, out, errs := run(t, nil, "client", "--listen", "127.0.0.1:0", "--self", "--strict", "--accept-timeout", "20s")
	if code != 0 || !strings.Contains(out, "41 cases: 41 passed") {
		t.Errorf("client --self: code %d\n%s\n%s", code, out, errs)
	}
	if code, out, _ := run(t, nil, "client", "--list"); code != 0 || !strings.Contains(out, "serve/4") {
		t.Errorf("client --list: %d", code)
	}
	if code, _, errs := run(t, nil, "client", "--listen", "127.0.0.1:0", "--accept-timeout", "100ms"); code != 2 {
		t.Errorf("no client: code %d, want 2 (%s)", code, errs)
	}
	if code, out, _ := run(t, nil, "vectors"); code != 0 || !strings.Contains(out, "0 failed") {
		t.Errorf("vectors: code %d\n%s", code, out)
	}
	dir := t.TempDir()
	if code, out, _ := run(t, nil, "vectors", "--export", dir); code != 0 || !strings.Contains(out, ".json") {
		t.Errorf("vectors --export: code %d\n%s", code, out)
	}
}

func TestServerOverTLS(t *testing.T) {
	material, err := tlsutil.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := tlsutil.Server(material)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &sockety.Server{Handler: contract.NewContractHandler()}
	go srv.ServeTLS(ln, cfg)
	defer srv.Close()
	addr := ln.Addr().String()
	if code, out, errs := run(t, nil, "server", "--target", addr, "--tls", "--insecure", "--group", "header,fastreply,splitting", "--strict"); code != 0 {
		t.Errorf("TLS: code %d\n%s\n%s", code, out, errs)
	}
	if code, _, errs := run(t, nil, "server", "--target", addr, "--tls", "--case", "fastreply/1"); code != 2 || !strings.Contains(errs, "tls") {
		t.Errorf("untrusted certificate: code %d, %s", code, errs)
	}
}
