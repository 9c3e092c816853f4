// Command sockety-conformance checks implementations of the Sockety
// protocol. It is a set of subcommands; run it without arguments for the
// list.
//
//	sockety-conformance decode [--no-header|--header] FILE|-
//
// Each subcommand lives in its own file of this package and registers itself
// in init with register; the logic stays in the conformance packages.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// command is one subcommand.
type command struct {
	name    string
	summary string // one line for the --help listing
	// run gets the arguments after the subcommand name and returns the
	// exit status.
	run func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

var commands = map[string]*command{}

// register adds a subcommand; called from init in each subcommand's file.
func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("sockety-conformance: subcommand registered twice: " + c.name)
	}
	commands[c.name] = c
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: sockety-conformance <command> [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'sockety-conformance <command> --help' for a command's options.")
}

// dispatch runs the subcommand named by args[0] and returns the exit status.
func dispatch(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "sockety-conformance: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return c.run(args[1:], stdin, stdout, stderr)
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
