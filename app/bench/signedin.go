package bench

import (
	"context"
	"fmt"
	"net/http"
	neturl "net/url"
	"strings"
)

// benchMember is a seeded member signed in through the sign-in form, for
// scenarios that load pages as a signed-in member.
type benchMember struct{ *stormClient }

// signedInMember signs the first seeded member in; undo signs them out
// again (the session goes, last_login_at comes back).
func signedInMember(ctx context.Context, env *Env, undo *undoStack, scenario string) (benchMember, error) {
	clients, err := stormMembersOf(ctx, env.DB, 1)
	if err != nil {
		return benchMember{}, err
	}
	undo.push(func() {
		ctx := context.WithoutCancel(ctx)
		if err := restoreLastLogin(ctx, env.DB, clients); err != nil {
			env.Logf("%s: restoring last_login_at: %v", scenario, err)
		}
		if _, err := deleteSessions(ctx, env.DB, env.PortalURL, clients); err != nil {
			env.Logf("%s: deleting the session: %v", scenario, err)
		}
		clients[0].tr.CloseIdleConnections()
	})
	if err := clients[0].signIn(ctx, env.PortalURL); err != nil {
		return benchMember{}, err
	}
	return benchMember{clients[0]}, nil
}

// page GETs url as the member, uncompressed, and returns the body.
func (m benchMember) page(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept-Encoding", "identity")
	status, body, err := send(m.http, req)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("GET %s as %s: status %d", req.URL.Path, m.login, status)
	}
	return body, nil
}

// cookieHeader is the Cookie header the member's browser sends to base.
func (m benchMember) cookieHeader(base string) string {
	u, err := neturl.Parse(base)
	if err != nil {
		return ""
	}
	var parts []string
	for _, ck := range m.http.Jar.Cookies(u) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	return strings.Join(parts, "; ")
}
