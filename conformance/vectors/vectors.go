// Package vectors holds the Sockety golden vectors: language-neutral JSON
// files (embedded in this package) that pair hand-derived byte streams with
// the packets a reader must decode from them, or with the class of error it
// must report. conformance/README.md documents the format.
//
// Load parses and validates the embedded files; Run decodes every vector with
// the sockety/wire Reader and reports per-vector results; Export writes the
// files to a directory so that implementations in other languages can use
// them.
package vectors

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

//go:embed *.json
var embedded embed.FS

// Files returns the names of the embedded vector files, sorted.
func Files() []string {
	ents, err := fs.ReadDir(embedded, ".")
	if err != nil {
		panic(err) // the embedded FS is part of the binary
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() && filepath.Ext(e.Name()) == ".json" {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

// Load parses and validates the embedded vector files.
func Load() ([]*File, error) { return LoadFS(embedded) }

// LoadDir parses and validates the *.json vector files of a directory.
func LoadDir(dir string) ([]*File, error) { return LoadFS(os.DirFS(dir)) }

// LoadFS parses and validates every *.json file at the top of fsys. Vector
// names must be unique across all files.
func LoadFS(fsys fs.FS) ([]*File, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, fmt.Errorf("vectors: %w", err)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("vectors: %w: no *.json files", ErrFormat)
	}
	seen := map[string]string{}
	var out []*File
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("vectors: %w", err)
		}
		f, err := ParseFile(n, data)
		if err != nil {
			return nil, fmt.Errorf("vectors: %w", err)
		}
		for _, v := range f.Vectors {
			if prev, dup := seen[v.Name]; dup {
				return nil, fmt.Errorf("vectors: %w: vector %q in both %s and %s", ErrFormat, v.Name, prev, n)
			}
			seen[v.Name] = n
		}
		out = append(out, f)
	}
	return out, nil
}

// All flattens files into their vectors, in file then file order.
func All(files []*File) []*Vector {
	var out []*Vector
	for _, f := range files {
		out = append(out, f.Vectors...)
	}
	return out
}

// Export writes the embedded vector files, unchanged, to dir (created if
// needed) and returns the paths written.
func Export(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("vectors: export: %w", err)
	}
	var out []string
	for _, n := range Files() {
		data, err := embedded.ReadFile(n)
		if err != nil {
			return out, fmt.Errorf("vectors: export: %w", err)
		}
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return out, fmt.Errorf("vectors: export: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}
