package form

import (
	"fmt"
	"strings"
	"testing"
)

func TestAccountStatus(t *testing.T) {
	for _, c := range []struct {
		change, reason string
		want           Errors
		reasonAfter    string
	}{
		{"suspend", "  迷惑行為の通報 ", Errors{}, "迷惑行為の通報"},
		{"reinstate", "面談済み", Errors{}, "面談済み"},
		{"ｓｕｓｐｅｎｄ", "理由", Errors{}, "理由"},
		{"delete", "理由", Errors{"change": "form.err.status_change"}, "理由"},
		{"suspend", "　", Errors{"reason": "form.err.status_reason"}, ""},
		{"suspend", strings.Repeat("あ", ReasonMax+1), Errors{"reason": "form.err.status_reason_long"}, strings.Repeat("あ", ReasonMax+1)},
	} {
		s := AccountStatus{Change: c.change, Reason: c.reason}
		s.Normalize()
		if got := s.Validate(); fmt.Sprint(got) != fmt.Sprint(c.want) || s.Reason != c.reasonAfter {
			t.Errorf("%q %q: %v, reason %q; want %v, %q", c.change, c.reason, got, s.Reason, c.want, c.reasonAfter)
		}
	}
}

func TestStaffAccount(t *testing.T) {
	roles := []string{"moderator", "editor"}
	known := []int64{3, 7}
	for _, c := range []struct {
		f       StaffAccount
		want    Errors
		ids     []int64
		loginID string
	}{
		{StaffAccount{LoginID: "Ｅｄｉｔｏｒ-1", Name: "編集 一郎", Roles: []string{"editor"}, Divisions: []string{"７", "3", "7"}}, Errors{}, []int64{7, 3}, "editor-1"},
		{StaffAccount{LoginID: "ab", Name: "編集 一郎", Roles: []string{"editor"}}, Errors{"login_id": "form.err.login_id"}, nil, "ab"},
		{StaffAccount{LoginID: "editor2", Name: "編", Roles: []string{"editor"}}, Errors{"name": "form.err.staff_name"}, nil, "editor2"},
		{StaffAccount{LoginID: "editor3", Name: "編集 三郎"}, Errors{"roles": "staff_accounts.err.no_roles"}, nil, "editor3"},
		{StaffAccount{LoginID: "editor4", Name: "編集 四郎", Roles: []string{"root"}}, Errors{"roles": "staff_accounts.err.no_roles"}, nil, "editor4"},
		{StaffAccount{LoginID: "editor5", Name: "編集 五郎", Roles: []string{"editor"}, Divisions: []string{"9"}}, Errors{"divisions": "form.err.divisions"}, nil, "editor5"},
	} {
		f := c.f
		f.Normalize()
		ids, errs := f.Validate(roles, known)
		if fmt.Sprint(errs) != fmt.Sprint(c.want) || fmt.Sprint(ids) != fmt.Sprint(c.ids) || f.LoginID != c.loginID {
			t.Errorf("%+v: %v %v %q; want %v %v %q", c.f, errs, ids, f.LoginID, c.want, c.ids, c.loginID)
		}
	}
}
