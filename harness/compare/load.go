package compare

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/sockety-harness/sockety-harness/harness"
)

// MaxFileSize bounds a result file read by Load (a result with histograms
// of a few hundred rows is a few MB).
const MaxFileSize = 512 << 20

// Load reads one --json result document (harness.ReadReport: schema
// version and histograms are checked), refusing more than MaxFileSize bytes.
func Load(r io.Reader) (*harness.Report, error) {
	lr := &io.LimitedReader{R: r, N: MaxFileSize + 1}
	rep, err := harness.ReadReport(lr)
	if err != nil {
		return nil, err
	}
	if lr.N <= 0 {
		return nil, errors.New("read results: larger than 512 MiB")
	}
	return rep, nil
}

// LoadFile reads the result file at path.
func LoadFile(path string) (*harness.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	defer f.Close()
	rep, err := Load(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rep, nil
}
