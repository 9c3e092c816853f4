package harness_test

import (
	"os"
	"testing"

	"github.com/sockety-harness/sockety-harness/harness"
	"github.com/sockety-harness/sockety-harness/harness/harnesstest"
)

// TestMain lets the test binary serve as its own worker processes.
func TestMain(m *testing.M) {
	harnesstest.Register()
	harness.MaybeRunWorker()
	os.Exit(m.Run())
}
