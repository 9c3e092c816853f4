// Command sockety-conformance checks implementations of the Sockety
// protocol. It is a set of subcommands; run it without arguments for the
// list.
//
//	sockety-conformance decode [--no-header|--header] FILE|-
//
// Each subcommand lives in its own file of this package and has its line in
// the commands table; the logic stays in the conformance packages.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
)

// command is one subcommand.
type command struct {
	summary string // one line for the --help listing
	// run gets the arguments after the subcommand name and returns the
	// exit status.
	run func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

// commands are the subcommands by name; each one's run function and usage
// text live in its own file.
var commands = map[string]*command{
	"client":  {summary: "wait for a client under test (--listen ADDR) that runs the fixed script, and check it", run: runClient},
	"decode":  {summary: "decode a raw byte capture of one direction into JSON lines (one per packet, then a summary per message)", run: runDecode},
	"serve":   {summary: "run our reference contract server (--listen ADDR) for other implementations' clients or for `server`", run: runServe},
	"server":  {summary: "check a live server implementing the conformance contract (--target HOST:PORT)", run: runServer},
	"vectors": {summary: "run the golden vectors against our codec (--export DIR writes them for other languages)", run: runVectors},
}

// newFlagSet returns the flag set of subcommand name, writing to stderr;
// its usage prints usage and then the flags' defaults.
func newFlagSet(name string, stderr io.Writer, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	return fs
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
