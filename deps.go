//go:build tools

// Package tools pins the module's dependencies while the packages that use
// them are being written. It is never built.
package tools

import (
	_ "github.com/HdrHistogram/hdrhistogram-go"
	_ "github.com/olekukonko/tablewriter"
	_ "github.com/shirou/gopsutil/v3/process"
	_ "golang.org/x/net/http2"
	_ "golang.org/x/net/http2/h2c"
	_ "golang.org/x/perf/benchmath"
	_ "golang.org/x/sys/unix"
	_ "golang.org/x/term"
	_ "google.golang.org/grpc"
	_ "google.golang.org/protobuf/types/known/wrapperspb"
)
