package auth

import (
	"strings"
	"testing"
)

func TestHashAndCheck(t *testing.T) {
	t.Parallel()
	h, err := HashPassword("正しいパスワード")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$") {
		t.Fatalf("hash %q is not argon2id", h)
	}
	if ok, _ := CheckPassword("正しいパスワード", h); !ok {
		t.Error("right password rejected")
	}
	if ok, _ := CheckPassword("wrong", h); ok {
		t.Error("wrong password accepted")
	}
}

func TestGeneratePassword(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		p := GeneratePassword(12)
		if len(p) != 12 || strings.ContainsAny(p, "0O1lI") || seen[p] {
			t.Fatalf("bad or repeated password %q", p)
		}
		seen[p] = true
	}
}
