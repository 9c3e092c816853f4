// Package all links every competitor adapter into a binary: importing it
// registers each suite with the competitors registry. Adapter authors add their
// package here.
package all

import (
	// gRPC and gRPC TLS.
	_ "github.com/sockety-harness/sockety-harness/competitors/grpc"
	// HTTP/1 and HTTPS/1.
	_ "github.com/sockety-harness/sockety-harness/competitors/http1"
	// HTTP/2 (h2c) and HTTPS/2.
	_ "github.com/sockety-harness/sockety-harness/competitors/http2"
	// Raw TCP (limit).
	_ "github.com/sockety-harness/sockety-harness/competitors/rawtcp"
	// Sockety and Sockety TLS.
	_ "github.com/sockety-harness/sockety-harness/competitors/sockety"
)
