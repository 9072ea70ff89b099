package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Small request helpers live in request.go and the loop of the background
// jobs in package worker, so the next feature finds and reuses them instead
// of writing its own next to its handlers.
func TestHelpersLiveTogether(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	where := map[string]string{} // function or method name → file
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok {
				where[fn.Name.Name] = name
			}
		}
	}
	helpers := []string{"idParam", "cursorParam", "requestID", "accessEvent", "composeMail"}
	// A route or query parameter reader is a request helper too.
	for fn := range where {
		if strings.HasSuffix(fn, "Param") && !slices.Contains(helpers, fn) {
			helpers = append(helpers, fn)
		}
	}
	for _, fn := range helpers {
		if where[fn] != "request.go" {
			t.Errorf("%s is in %q, want request.go", fn, where[fn])
		}
	}
	if file, ok := where["runEvery"]; ok {
		t.Errorf("runEvery is in %s; background loops use worker.Every", file)
	}
}
