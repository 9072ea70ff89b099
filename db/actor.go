package db

// Actor is who acts on the data: the signed-in account, the role it acts in
// (a staff member holding several acts in one at a time), and where from.
// Every db call that records or checks an actor takes this one value, so
// the audit log and the access history always get the same four facts.
type Actor struct {
	Account   *Account
	Role      string
	IP        string
	UserAgent string
}

// Entry is an audit-log entry by the actor.
func (a Actor) Entry(action string, subjectID *int64, fields []string, detail string) *AuditEntry {
	return &AuditEntry{ActorID: a.Account.ID, ActorRole: a.Role, Action: action, SubjectID: subjectID,
		Fields: fields, Detail: detail, IP: a.IP}
}

// access is a successful action in the actor's own access history.
func (a Actor) access(action, detail string) AccessEvent {
	return AccessEvent{AccountID: &a.Account.ID, LoginID: a.Account.LoginID, Action: action, Success: true,
		IP: a.IP, UserAgent: a.UserAgent, Detail: detail}
}
