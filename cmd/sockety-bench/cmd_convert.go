package main

import (
	"fmt"
	"io"
)

// runConvert is "sockety-bench convert" (issue 8); work in progress.
func runConvert(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "sockety-bench convert: not implemented yet (issue 8)")
	return 2
}
