package main

import (
	"fmt"
	"io"

	"github.com/sockety-harness/sockety-harness/conformance/vectors"
)

// vectorsUsage is what --help prints before the flags.
const vectorsUsage = `usage: sockety-conformance vectors [--export DIR] [-v]

Decodes every golden vector with sockety/wire (whole, byte by byte, random cuts), encodes
canonical ones back, checks invalid ones' error classes. Exit status 0 all pass, 1 failures.

`

func runVectors(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("vectors", stderr, vectorsUsage)
	export := fs.String("export", "", "write the vector files to this directory instead of running them")
	verbose := fs.Bool("v", false, "print every vector, not only failures")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *export != "" {
		paths, err := vectors.Export(*export)
		if err != nil {
			fmt.Fprintf(stderr, "sockety-conformance vectors: %v\n", err)
			return 2
		}
		for _, p := range paths {
			fmt.Fprintln(stdout, p)
		}
		return 0
	}
	files, err := vectors.Load()
	if err != nil {
		fmt.Fprintf(stderr, "sockety-conformance vectors: %v\n", err)
		return 2
	}
	rs := vectors.Run(vectors.All(files))
	for _, r := range rs {
		switch {
		case !r.Pass():
			fmt.Fprintf(stdout, "FAIL %s\n", r.Vector)
			for _, f := range r.Failures {
				fmt.Fprintf(stdout, "     %s\n", f)
			}
		case *verbose:
			fmt.Fprintf(stdout, "PASS %s\n", r.Vector)
		}
	}
	passed, failed := vectors.Tally(rs)
	fmt.Fprintf(stdout, "%d vectors: %d passed, %d failed\n", passed+failed, passed, failed)
	if failed > 0 {
		return 1
	}
	return 0
}
