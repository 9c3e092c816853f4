package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/sockety-harness/sockety-harness/conformance/decode"
)

// decodeUsage is what --help prints before the flags.
const decodeUsage = `usage: sockety-conformance decode [--no-header|--header] [--max-channels N] FILE|-

Prints one JSON object per packet per line (offset, first byte, type, channel, sizes,
UUIDs, action, file names, payload length and a hex preview), then one summary line per
Message/Response. Bad input: what decoded so far, an error line, exit status 1.

`

func runDecode(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("decode", stderr, decodeUsage)
	noHeader := fs.Bool("no-header", false, "the capture starts with packets (no connection header)")
	header := fs.Bool("header", false, "the capture starts with the connection header (default: auto-detect, a first byte 0xE0-0xE3 is the header)")
	maxChannels := fs.Int("max-channels", 4096, "channels the receiving side announced (1-4096); a switch at or above is an error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	if *noHeader && *header {
		fmt.Fprintln(stderr, "sockety-conformance decode: --no-header and --header exclude each other")
		return 2
	}
	if *maxChannels < 1 || *maxChannels > 4096 {
		fmt.Fprintln(stderr, "sockety-conformance decode: --max-channels must be 1-4096")
		return 2
	}
	opts := decode.ToolOptions{MaxChannels: *maxChannels}
	switch {
	case *noHeader:
		opts.Header = decode.HeaderNone
	case *header:
		opts.Header = decode.HeaderPresent
	}
	in := stdin
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "sockety-conformance decode: %v\n", err)
			return 1
		}
		defer f.Close()
		in = f
	}
	if err := decode.Capture(in, stdout, opts); err != nil {
		fmt.Fprintf(stderr, "sockety-conformance decode: %v\n", err)
		return 1
	}
	return 0
}
