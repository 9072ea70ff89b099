package app

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/wardportal/portal/app/auth"
	"github.com/wardportal/portal/db/dbtest"
)

// proxiedEnv is a portal behind "our own proxy", so a test chooses each
// request's client address with X-Forwarded-For.
func proxiedEnv(t *testing.T) *testEnv {
	t.Helper()
	cfg := testConfig()
	cfg.TrustProxy = true
	return newTestEnvConfig(t, dbtest.New(t), cfg)
}

// from returns the header pair that makes a request come from ip.
func from(ip string) []string { return []string{"X-Forwarded-For", ip} }

func (e *testEnv) signInFrom(ip, login, password string, headers ...string) *response {
	e.t.Helper()
	tok := e.get("/login", from(ip)...).csrfToken(e.t)
	return e.post("/login", url.Values{"login_id": {login}, "password": {password}, "_csrf": {tok}}, append(from(ip), headers...)...)
}

// TestSignInBeyondTheHashingBudgetIs503: six sign-ins at once against a
// budget of one argon2id run and no queue: the runs never overlap, and the
// ones that find no place are told to come back (503, Retry-After, the
// translated page with its request id) instead of waiting or taking memory.
func TestSignInBeyondTheHashingBudgetIs503(t *testing.T) {
	t.Parallel()
	e := proxiedEnv(t)
	if got := e.app.hasher.Slots(); got != DefaultHashMemoryMiB()/64 {
		t.Errorf("default budget holds %d runs, want one per core (%d)", got, DefaultHashMemoryMiB()/64)
	}
	h, err := auth.NewHasher(auth.HasherConfig{BudgetKiB: int64(auth.Params.Memory), Wait: 0, Queue: 0})
	if err != nil {
		t.Fatal(err)
	}
	e.app.hasher = h
	refused, checked := 0, 0
	for round := 0; round < 10 && refused == 0; round++ {
		var wg sync.WaitGroup
		res := make([]*response, 6)
		for i := range res {
			c := e.client()
			ip := fmt.Sprintf("198.51.100.%d", 10*round+i+1)
			tok := c.get("/login", from(ip)...).csrfToken(t)
			wg.Go(func() {
				res[i] = c.post("/login", url.Values{"login_id": {fmt.Sprintf("nobody-%d-%d", round, i)}, "password": {"wrong"}, "_csrf": {tok}}, from(ip)...)
			})
		}
		wg.Wait()
		for _, r := range res {
			switch r.StatusCode {
			case http.StatusUnprocessableEntity:
				checked++
			case http.StatusServiceUnavailable:
				refused++
				if got := r.Header.Get("Retry-After"); got != "5" {
					t.Errorf("503 with Retry-After %q", got)
				}
				if h1 := r.Doc.Find("h1").Text(); h1 != "ただいま利用できません" || !strings.Contains(r.Body, "<code>") {
					t.Errorf("503 page: h1 %q\n%s", h1, r.Doc.Find("main").Text())
				}
			default:
				r.wantStatus(t, http.StatusUnprocessableEntity)
			}
		}
	}
	if refused == 0 || checked == 0 {
		t.Fatalf("%d checked, %d refused: want both", checked, refused)
	}
	if n, peak := h.Load(); peak != 1 || n != 0 {
		t.Errorf("argon2id runs at once: peak %d, now %d; budget allows 1", peak, n)
	}
}

func TestHashMemoryConfig(t *testing.T) {
	t.Parallel()
	load := func(v string) (Config, error) {
		return LoadConfig(func(k string) string {
			if k == "PORTAL_HASH_MEMORY_MB" {
				return v
			}
			return ""
		})
	}
	if c, err := load("256"); err != nil || c.HashMemoryMiB != 256 {
		t.Errorf("256: %d, %v", c.HashMemoryMiB, err)
	}
	if c, err := load(""); err != nil || c.HashMemoryMiB != DefaultHashMemoryMiB() || c.HashMemoryMiB < 64 {
		t.Errorf("default: %d, %v", c.HashMemoryMiB, err)
	}
	for _, v := range []string{"63", "0", "-64", "lots", "1e3"} {
		if _, err := load(v); err == nil || !strings.HasPrefix(err.Error(), "PORTAL_HASH_MEMORY_MB: ") {
			t.Errorf("PORTAL_HASH_MEMORY_MB=%s: error %v", v, err)
		}
	}
}
