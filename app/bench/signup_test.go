package bench

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardportal/portal/app/auth"
	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/db/seed"
)

func TestSignupStormScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("signs members in: an argon2id check each")
	}
	ctx := context.Background()
	// The members sign in for real this time.
	hash, err := auth.HashPassword(seed.Password)
	if err != nil {
		t.Fatal(err)
	}
	d := smallSeed(t, hash)
	// Besides the seed's counts: everything a storm writes or touches.
	traces := func() string {
		t.Helper()
		var s string
		if err := d.Pool.QueryRow(ctx, `SELECT concat_ws(' ',
			(SELECT count(*) FROM sessions), (SELECT count(*) FROM access_history), (SELECT count(*) FROM mail_outbox),
			(SELECT count(*) FROM event_signups), (SELECT count(*) FROM live_events),
			(SELECT count(*) FROM accounts WHERE last_login_at IS NOT NULL),
			(SELECT sum(confirmed + waitlisted) FROM events))`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before, err := countRows(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	traced := traces()

	var log bytes.Buffer
	env, err := NewEnv(ctx, d, Settings{Concurrency: 1, Duration: time.Second, Rounds: 1}, &log)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	sr := stormRun{Members: 24, Capacity: 8, Waitlist: 4}
	// Twice: the second run signs the same members in again and creates
	// its event afresh.
	for run := 1; run <= 2; run++ {
		figs, err := sr.run(ctx, env)
		if err != nil {
			t.Fatalf("run %d: %v\nlog:\n%s", run, err, log.String())
		}
		got := map[string]float64{}
		var names []string
		for _, f := range figs {
			names = append(names, f.Name)
			got[f.Name] = f.Value
		}
		want := []string{"signup_storm_rps", "signup_storm_p50", "signup_storm_p99",
			"signup_storm_confirmed", "signup_storm_waitlisted", "signup_storm_full"}
		if !slices.Equal(names, want) {
			t.Fatalf("figures %v, want %v", names, want)
		}
		if got["signup_storm_rps"] <= 0 || got["signup_storm_p50"] <= 0 || got["signup_storm_p50"] > got["signup_storm_p99"] {
			t.Errorf("rps %v, p50 %v, p99 %v", got["signup_storm_rps"], got["signup_storm_p50"], got["signup_storm_p99"])
		}
		if c, w, f := got["signup_storm_confirmed"], got["signup_storm_waitlisted"], got["signup_storm_full"]; c != 8 || w != 4 || f != 12 {
			t.Errorf("%v confirmed, %v waitlisted, %v full; want 8, 4, 12", c, w, f)
		}
	}
	t.Logf("log:\n%s", log.String())

	// What the scenario wrote is gone, so the next run reuses the database.
	after, err := countRows(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("after the scenario the database holds %s, before %s", after, before)
	}
	if got := traces(); got != traced {
		t.Errorf("sessions, access history, mails, sign-ups, live events, signed-in accounts, seats taken: %s after the scenario, %s before", got, traced)
	}
}

func TestSignupAnswer(t *testing.T) {
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	box := func(result, status string) []byte {
		s := `<section id="signup" class="section signup"><h2>参加申し込み</h2>`
		if result != "" {
			s += fmt.Sprintf(`<p class="flash" role="status">%s</p>`, catalog.T("ja", "signup.result."+result))
		}
		if status != "" {
			s += fmt.Sprintf(`<p data-signup-status="%s">…</p>`, status)
		}
		return []byte(s + `</section><dd id="seats" hx-swap-oob="true">0</dd>`)
	}
	for _, tc := range []struct {
		name   string
		body   []byte
		want   string
		errHas string
	}{
		{"confirmed", box("confirmed", "confirmed"), "confirmed", ""},
		{"waitlisted", box("waitlisted", "waitlisted"), "waitlisted", ""},
		{"full", box("full", ""), "full", ""},
		{"already signed up", box("already", "confirmed"), "", "unexpected answer"},
		{"message and status disagree", box("confirmed", "waitlisted"), "", "the box shows"},
		{"full with a status", box("full", "waitlisted"), "", "the box shows"},
		{"closed", box("ended", ""), "", "unexpected answer"},
		{"no box", []byte(`<p>error</p>`), "", "no sign-up box"},
	} {
		got, err := signupAnswer(catalog, tc.body)
		switch {
		case tc.errHas == "" && (err != nil || got != tc.want):
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
		case tc.errHas != "" && (err == nil || !strings.Contains(err.Error(), tc.errHas)):
			t.Errorf("%s: got %q, %v; want an error saying %q", tc.name, got, err, tc.errHas)
		}
	}
}
