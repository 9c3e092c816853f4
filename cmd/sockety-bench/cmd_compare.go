package main

import (
	"fmt"
	"io"
)

// runCompare is "sockety-bench compare" (issue 8); work in progress.
func runCompare(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "sockety-bench compare: not implemented yet (issue 8)")
	return 2
}
