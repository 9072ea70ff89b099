package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/alexedwards/argon2id"
	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/apptest"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// testEnv is a running portal on a throwaway database, and a browser-like
// client with a cookie jar that does not follow redirects.
type testEnv struct {
	t    *testing.T
	app  *App
	db   *db.DB
	srv  *httptest.Server
	http *http.Client
	logs *apptest.Logs
}

// databaseEnv is an environment that names only the database at url.
func databaseEnv(url string) func(string) string {
	return func(k string) string {
		if k == "DATABASE_URL" {
			return url
		}
		return ""
	}
}

func testConfig() Config {
	cfg, err := LoadConfig(apptest.Getenv)
	if err != nil {
		panic(err)
	}
	return cfg
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	d := dbtest.New(t)
	return newTestEnvDB(t, d)
}

func newTestEnvDB(t *testing.T, d *db.DB) *testEnv {
	t.Helper()
	return newTestEnvConfig(t, d, testConfig())
}

func newTestEnvConfig(t *testing.T, d *db.DB, cfg Config) *testEnv {
	t.Helper()
	s := apptest.Start(t, func(log *slog.Logger) (*App, error) { return New(cfg, d, log) })
	return &testEnv{t: t, app: s.App, db: d, srv: s.Server, http: apptest.Client(), logs: s.Logs}
}

// cheap are argon2id parameters that keep tests quick: checking a password
// costs what its stored hash names, and the limits and answers of sign-in
// do not depend on them.
var cheap = &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// hash hashes the password of a test account with cheap parameters.
func (e *testEnv) hash(password string) string {
	e.t.Helper()
	h, err := argon2id.CreateHash(password, cheap)
	if err != nil {
		e.t.Fatalf("hash a test password: %v", err)
	}
	return h
}

// memberAccount creates an active member with a profile (dbtest.Member)
// whose password is "member-password-1".
func (e *testEnv) memberAccount(login, handle string) *db.Account {
	e.t.Helper()
	return dbtest.Member(e.t, e.db, dbtest.MemberOptions{Login: login, Handle: handle, PasswordHash: e.hash("member-password-1")})
}

// staffAccount creates an active staff account with roles, past its first
// sign-in, whose password is "staff-password-1".
func (e *testEnv) staffAccount(login string, roles ...string) *db.Account {
	e.t.Helper()
	return dbtest.Staff(e.t, e.db, dbtest.StaffOptions{Login: login, Roles: roles, PasswordHash: e.hash("staff-password-1")})
}

// groupAccount creates an active group account and its group
// (dbtest.Group) whose password is "group-password-1".
func (e *testEnv) groupAccount(o dbtest.GroupOptions) (*db.Account, *db.Group) {
	e.t.Helper()
	o.PasswordHash = e.hash("group-password-1")
	return dbtest.Group(e.t, e.db, o)
}

// account creates a member with the e-mail address email, or a moderator,
// whose password is rightPassword.
func (e *testEnv) account(kind, login, email string) *db.Account {
	e.t.Helper()
	if kind == db.KindStaff {
		return dbtest.Staff(e.t, e.db, dbtest.StaffOptions{Login: login, Roles: []string{db.RoleModerator}, PasswordHash: e.hash(rightPassword)})
	}
	return dbtest.Member(e.t, e.db, dbtest.MemberOptions{Login: login, Email: email, PasswordHash: e.hash(rightPassword)})
}

type echoContext = echo.Context

func httptestRequest(method, path string, body io.Reader) *http.Request {
	return httptest.NewRequest(method, path, body)
}

func httptestDo(a *App, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, r)
	return rec
}

// response is a fetched page with its parsed document.
type response struct {
	*http.Response
	Body string
	Doc  *goquery.Document
}

func (e *testEnv) do(req *http.Request) *response {
	e.t.Helper()
	res, err := e.http.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(b))
	if err != nil {
		e.t.Fatal(err)
	}
	return &response{Response: res, Body: string(b), Doc: doc}
}

// get fetches path; headers are name, value pairs.
func (e *testEnv) get(path string, headers ...string) *response {
	e.t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, e.srv.URL+path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return e.do(req)
}

// peek opens path and returns at once with the status and headers, not
// waiting for the body: for event streams, which do not end.
func (e *testEnv) peek(path string) *response {
	e.t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, e.srv.URL+path, nil)
	res, err := e.http.Do(req)
	if err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
	res.Body.Close()
	return &response{Response: res}
}

// post submits a form as a browser without JavaScript would; headers are
// name, value pairs.
func (e *testEnv) post(path string, form url.Values, headers ...string) *response {
	e.t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return e.do(req)
}

// csrfToken returns the token a page carries in its forms.
func (r *response) csrfToken(t *testing.T) string {
	t.Helper()
	tok, ok := r.Doc.Find(`input[name="_csrf"]`).First().Attr("value")
	if !ok || tok == "" {
		t.Fatalf("no CSRF token on page:\n%s", r.Body)
	}
	return tok
}

func (r *response) wantStatus(t *testing.T, want int) {
	t.Helper()
	if r.StatusCode != want {
		main := strings.Join(strings.Fields(r.Doc.Find("main").Text()), " ")
		if main == "" {
			main = r.Body
		}
		if len(main) > 600 {
			main = main[:600]
		}
		t.Fatalf("%s %s: status %d, want %d\n%s", r.Request.Method, r.Request.URL.Path, r.StatusCode, want, main)
	}
}

// fieldError is the message shown beside a form field, "" when none.
func fieldError(res *response, field string) string {
	return strings.TrimSpace(res.Doc.Find("#f-" + field + "-error").Text())
}
