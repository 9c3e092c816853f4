package main

import (
	"fmt"
	"io"
)

// runReport is "sockety-bench report" (issue 8); work in progress.
func runReport(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "sockety-bench report: not implemented yet (issue 8)")
	return 2
}
