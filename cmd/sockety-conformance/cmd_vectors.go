package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/sockety-harness/sockety-harness/conformance/vectors"
)

func init() {
	register(&command{
		name:    "vectors",
		summary: "run the golden vectors against our codec (--export DIR writes them for other languages)",
		run:     runVectors,
	})
}

func runVectors(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vectors", flag.ContinueOnError)
	fs.SetOutput(stderr)
	export := fs.String("export", "", "write the vector files to this directory instead of running them")
	verbose := fs.Bool("v", false, "print every vector, not only failures")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sockety-conformance vectors [--export DIR] [-v]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Decodes every golden vector with sockety/wire (whole, byte by byte, random cuts), encodes")
		fmt.Fprintln(stderr, "canonical ones back, checks invalid ones' error classes. Exit status 0 all pass, 1 failures.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
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
