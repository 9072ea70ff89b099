package app

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/wardportal/portal/static"
)

// routes is the one place a reader finds every address of the portal.
func (a *App) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = a.handleError
	e.IPExtractor = a.ipExtractor()

	// Outermost first: every response gets an id, a log line, panic
	// recovery and the security headers, including the ones for errors.
	e.Pre(removeTrailingSlash)
	e.Pre(a.siteHost) // a sub-site's own host name: its / and /pages/{id}
	e.Use(middleware.RequestID())
	e.Use(a.accessLog())
	e.Use(a.recoverPanics())
	e.Use(a.securityHeaders)
	e.Use(a.deadline)
	// Bodies: 2 MB, except the upload route's, which carries a file
	// (files.go). By route pattern, so it holds before any middleware reads
	// the form.
	upload := func(c echo.Context) bool {
		return (c.Path() == uploadRoute || c.Path() == groupImageRoute) && c.Request().Method == http.MethodPost
	}
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "2M", Skipper: upload}))
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: uploadBodyLimit,
		Skipper: func(c echo.Context) bool { return !upload(c) }}))

	// Infrastructure: no session, no CSRF, no compression games.
	e.GET("/healthz", a.healthz)
	e.GET("/readyz", a.readyz)
	e.GET(static.Prefix+"*", echo.WrapHandler(a.assets))
	e.HEAD(static.Prefix+"*", echo.WrapHandler(a.assets))

	// Attachments of pages: no compression (images and Office files are
	// compressed already, and the strong ETag names exactly the bytes
	// sent), and a session only for a file not yet public (files.go).
	e.GET("/files/:id/:name", a.serveFile, a.readableInput)

	// Calendar feeds, polled by calendar apps: no session, no cookies.
	e.GET("/events.ics", a.eventsFeed, a.gzip(), a.readableInput)
	e.GET("/calendar/:token", a.memberFeed, a.gzip(), a.readableInput) // /calendar/{token}.ics, a member's private feed

	// Pages.
	site := e.Group("", a.pageCacheMiddleware, a.gzip(), a.loadSession, a.csrf(), a.locale, a.loadUser, a.readableInput, a.passwordFresh)
	site.GET("/", a.home)
	site.POST("/lang", a.setLanguage)
	site.GET("/leave", a.leave)

	site.GET("/notices", a.notices)
	site.GET("/notices/:id", a.notice)
	site.GET("/subsidies", a.subsidies)
	site.GET("/subsidies/:id", a.subsidy)
	site.GET("/articles", a.articles)
	site.GET("/articles/:id", a.article)
	site.GET("/pages/:id", a.generalPage)
	site.GET("/topics/:tag", a.tagTopic)
	site.GET("/groups", a.groups)
	site.GET("/groups/:id", a.group)
	site.GET("/groups/:id/images/:image", a.groupImage) // public once a live profile shows it (groups.go)
	site.GET("/events", a.events)
	site.GET("/events/:id", a.eventOrICS) // and /events/{id}.ics: see eventOrICS
	site.GET("/events/new", a.newEventPage, a.require(permOrganise))
	site.POST("/events/new", a.createEvent, a.require(permOrganise))
	site.GET("/account/organised", a.organisedEvents, a.require(permOrganise))
	site.GET("/events/:id/edit", a.editEventPage, a.require(permOrganise))
	site.POST("/events/:id/edit", a.updateEvent, a.require(permOrganise))
	site.GET("/events/:id/live", a.eventLive)
	site.GET("/board", a.board)
	site.GET("/board/live", a.boardLive)
	site.GET("/board/:id", a.topic)
	site.GET("/facilities", a.facilities)
	site.GET("/s/:site", a.subSiteHome)
	site.GET("/s/:site/pages/:id", a.subSitePage)
	site.GET("/inquiry", a.inquiryPage)
	site.POST("/inquiry", a.sendInquiry)

	// The newsletter: subscribe, confirm (one POST), unsubscribe (RFC 8058).
	site.GET("/newsletter", a.newsletterPage)
	site.POST("/newsletter", a.subscribeNewsletter)
	site.GET("/newsletter/confirm/:token", a.confirmPage)
	site.POST("/newsletter/confirm/:token", a.confirmNewsletter)
	site.GET(unsubscribeRoute, a.unsubscribePage)
	site.POST(unsubscribeRoute, a.unsubscribeNewsletter)

	// Accounts.
	site.GET("/register", a.registerPage)
	site.POST("/register", a.register)
	site.GET("/login", a.loginPage)
	site.POST("/login", a.login)
	site.POST("/logout", a.logout)
	site.GET("/password/forgot", a.forgotPage)
	site.POST("/password/forgot", a.forgot)
	site.GET("/password/reset/:token", a.resetPage)
	site.POST("/password/reset/:token", a.reset)

	signedIn := a.require(permSignedIn)
	site.GET("/account", a.accountHome, signedIn)
	site.GET("/account/password", a.passwordPage, signedIn)
	site.POST("/account/password", a.changePassword, signedIn)
	site.GET("/account/history", a.history, signedIn)
	member := a.require(permMember)
	site.GET("/account/profile", a.profilePage, member)
	site.POST("/account/profile", a.updateProfile, member)
	site.GET("/account/events", a.mySignups, member)
	site.POST("/events/:id/signup", a.signUp, member)
	site.POST("/events/:id/cancel", a.cancelSignup, member)
	site.GET("/events/:id/participants", a.participants, a.require(permOrganise))
	site.GET("/events/:id/participants.csv", a.participantsCSV, a.require(permOrganise))
	site.POST("/events/:id/manage", a.manageEvent, a.require(permOrganise))
	site.GET("/account/withdraw", a.withdrawPage, member)
	site.POST("/account/withdraw", a.withdraw, member)
	site.GET("/account/calendar", a.calendarPage, member)
	site.POST("/account/calendar", a.newCalendarFeed, member)
	site.POST("/account/calendar/revoke", a.revokeCalendarFeed, member)
	site.GET("/account/data", a.myData, member)
	site.POST("/account/newsletter", a.setMemberNewsletter, member)

	// Board posting: members and groups; everything waits for moderation.
	poster := a.require(permPost)
	site.GET("/board/new", a.newTopicPage, poster)
	site.POST("/board", a.createTopic, poster)
	site.POST("/board/:id/replies", a.createReply, poster)
	site.GET("/board/posts/:id/edit", a.editPostPage, poster)
	site.POST("/board/posts/:id", a.editPost, poster)
	site.POST("/board/posts/:id/withdraw", a.withdrawPost, poster)
	site.GET("/board/posts/:id/report", a.reportPage, poster)
	site.POST("/board/posts/:id/report", a.reportPost, poster)
	site.GET("/account/posts", a.ownPosts, poster)

	// A group's own profile (every change moderated) and its inquiry inbox.
	group := a.require(permGroup)
	site.GET("/group/profile", a.groupProfilePage, group)
	site.POST("/group/profile", a.saveGroupProfile, group)
	site.POST(groupImageRoute, a.uploadGroupImage, group)
	site.GET("/group/inquiries", a.groupInquiries, group)
	site.GET("/group/inquiries/:id", a.inquiry, group)
	site.POST("/group/inquiries/:id/note", a.noteInquiry, group)
	site.POST("/group/inquiries/:id/answer", a.answerInquiry, group)
	site.POST("/group/inquiries/:id/close", a.closeInquiry, group)

	// Moderation: the live queue.
	moderate := a.require(permModerate)
	site.GET("/moderation", a.moderation, moderate)
	site.GET("/moderation/live", a.moderationLive, moderate)
	site.POST("/moderation/items/:id", a.decide, moderate)
	// Emergency corrections of published events (緊急時の変更), on record.
	site.GET("/moderation/events/:id/correct", a.correctEventPage, a.require(permEventCorrect))
	site.POST("/moderation/events/:id/correct", a.correctEvent, a.require(permEventCorrect))

	// Staff back office.
	site.GET("/staff", a.staffHome, a.require(permStaff))
	site.GET("/staff/registrations", a.registrations, a.require(permRegistrations))
	site.POST("/staff/registrations/:id", a.decideRegistration, a.require(permRegistrations))
	site.GET("/staff/members", a.members, a.require(permMembers))
	site.GET("/staff/members/:id", a.member, a.require(permMembers))
	site.GET("/staff/members/:id/edit", a.memberEditPage, a.require(permMemberAdmin))
	site.POST("/staff/members/:id/edit", a.correctMember, a.require(permMemberAdmin))
	site.POST("/staff/members/:id/status", a.changeMemberStatus, a.require(permMemberAdmin))
	site.POST("/staff/members/:id/unlock", a.unlockMember, a.require(permMemberAdmin))
	site.GET("/staff/members/export", a.memberExportPage, a.require(permMembers))
	site.POST("/staff/members/export", a.memberExport, a.require(permMembers))
	site.GET("/staff/members/exports/:token", a.memberExportReport, a.require(permMembers))
	site.GET("/staff/groups", a.groupAccounts, a.require(permGroupAccounts))
	site.POST("/staff/groups", a.createGroupAccount, a.require(permGroupAccounts))
	site.GET("/staff/groups/:id", a.groupAccount, a.require(permGroupAccounts))
	site.POST("/staff/groups/:id/password", a.issueGroupPassword, a.require(permGroupAccounts))
	site.POST("/staff/groups/:id/status", a.changeGroupStatus, a.require(permGroupAccounts))
	site.GET("/staff/board", a.boardAdmin, a.require(permBoardAdmin))
	site.POST("/staff/board/categories", a.saveCategory, a.require(permBoardAdmin))
	site.POST("/staff/board/words", a.addWord, a.require(permBoardAdmin))
	site.POST("/staff/board/words/:id/delete", a.deleteWord, a.require(permBoardAdmin))
	site.POST("/staff/audit/export", a.auditExport, a.require(permAuditLog))
	site.GET("/staff/accounts", a.staffAccounts, a.require(permStaffAccounts))
	site.POST("/staff/accounts", a.createStaffAccount, a.require(permStaffAccounts))
	site.POST("/staff/accounts/:id/status", a.changeStaffStatus, a.require(permStaffAccounts))
	site.POST("/staff/accounts/:id/roles", a.changeRoles, a.require(permStaffAccounts))
	site.POST("/staff/accounts/:id/unlock", a.unlockSignIn, a.require(permUnlockSignIn))
	site.GET("/staff/audit", a.auditLog, a.require(permAuditLog))
	site.GET("/staff/mail", a.mailOutbox, a.require(permMailOutbox))
	site.GET("/staff/mail/:id", a.mailMessage, a.require(permMailOutbox))

	// Publishing: the approver's queue.
	site.GET("/staff/approvals", a.approvals, a.require(permApprove))
	site.POST("/staff/approvals/:id", a.decidePage, a.require(permApprove))
	site.POST("/staff/approvals/:id/end", a.endPage, a.require(permApprove))
	site.GET("/staff/links", a.links, a.require(permLinkRequest))
	site.POST("/staff/links", a.requestLink, a.require(permLinkRequest))
	site.POST("/staff/links/:id", a.decideLink, a.require(permLinkDecide))
	// A page's attachments and images, for the page's authors (files.go).
	author := a.require(permAuthor)
	site.GET(uploadRoute, a.files, author)
	site.POST(uploadRoute, a.uploadFile, author)
	site.POST("/staff/pages/:id/files/:file/alt", a.setFileAlt, author)
	site.POST("/staff/pages/:id/files/:file/delete", a.deleteFile, author)
	site.GET("/staff/disaster", a.disasterPage, a.require(permDisaster))
	site.POST("/staff/disaster", a.switchDisaster, a.require(permDisaster))
	// Authoring: pages of every kind, in one workflow (README, "Writing pages").
	pages := a.require(permPages)
	site.GET("/staff/pages", a.staffPages, pages)
	site.GET("/staff/pages/new", a.newStaffPage, pages)
	site.POST("/staff/pages/new", a.createStaffPage, pages)
	site.POST("/staff/pages/preview", a.previewStaffPage, pages)
	site.GET("/staff/pages/:id", a.staffPage, pages)
	site.POST("/staff/pages/:id", a.saveStaffPage, pages)
	site.POST("/staff/pages/:id/withdraw", a.withdrawStaffPage, pages)
	site.GET("/staff/pages/:id/diff", a.staffPageDiff, pages)
	// Divisions and sub-sites (Nakano rules 第5–6条).
	site.GET("/staff/divisions", a.divisions, a.require(permDivisions))
	site.POST("/staff/divisions", a.createDivision, a.require(permDivisions))
	site.GET("/staff/divisions/accounts/:id", a.placementPage, a.require(permDivisions))
	site.POST("/staff/divisions/accounts/:id", a.setPlacement, a.require(permDivisions))
	site.GET("/staff/sites", a.sites, a.require(permSites))
	site.POST("/staff/sites", a.applySite, a.require(permSiteApply))
	site.GET("/staff/sites/:id", a.site, a.require(permSites))
	site.POST("/staff/sites/:id/decision", a.decideSite, a.require(permSiteManage))
	site.POST("/staff/sites/:id/settings", a.updateSiteSettings, a.require(permSiteManage))
	site.POST("/staff/sites/:id/staff", a.addSiteStaff, a.require(permSiteManage))
	site.POST("/staff/sites/:id/staff/remove", a.removeSiteStaff, a.require(permSiteManage))
	site.POST("/staff/sites/:id/close", a.closeSite, a.require(permSiteManage))
	// Consent records (第14条): the list is the report; db checks the division.
	consents := a.require(permConsents)
	site.GET("/staff/consents", a.consents, consents)
	site.POST("/staff/consents", a.createConsent, consents)
	site.GET("/staff/consents/export", a.consentExport, consents)
	site.GET("/staff/consents/:id", a.consent, consents)

	// Residents' inquiries: the inbox of the staff member's divisions.
	inquiries := a.require(permInquiries)
	site.GET("/staff/inquiries", a.inquiries, inquiries)
	site.GET("/staff/inquiries/templates", a.inquiryTemplates, inquiries)
	site.POST("/staff/inquiries/templates", a.addInquiryTemplate, inquiries)
	site.POST("/staff/inquiries/templates/:id/delete", a.deleteInquiryTemplate, inquiries)
	site.GET("/staff/inquiries/:id", a.inquiry, inquiries)
	site.POST("/staff/inquiries/:id/assign", a.assignInquiry, inquiries)
	site.POST("/staff/inquiries/:id/note", a.noteInquiry, inquiries)
	site.POST("/staff/inquiries/:id/answer", a.answerInquiry, inquiries)
	site.POST("/staff/inquiries/:id/close", a.closeInquiry, inquiries)

	// Newsletter issues and lists.
	news := a.require(permNewsletter)
	site.GET("/staff/newsletter", a.newsletterIssues, news)
	site.GET("/staff/newsletter/new", a.newIssuePage, news)
	site.POST("/staff/newsletter/new", a.createIssue, news)
	site.GET("/staff/newsletter/lists", a.newsletterLists, a.require(permNewsletterLists))
	site.POST("/staff/newsletter/lists", a.createNewsletterList, a.require(permNewsletterLists))
	site.GET("/staff/newsletter/lists/:id", a.newsletterListPage, a.require(permNewsletterLists))
	site.POST("/staff/newsletter/lists/:id", a.updateNewsletterList, a.require(permNewsletterLists))
	site.GET("/staff/newsletter/:id", a.issuePage, news)
	site.POST("/staff/newsletter/:id", a.saveIssue, news)
	site.POST("/staff/newsletter/:id/test", a.testIssue, news)
	site.POST("/staff/newsletter/:id/send", a.sendIssue, news)
	site.POST("/staff/newsletter/:id/cancel", a.cancelIssue, news)
	site.POST("/staff/newsletter/:id/approve", a.approveIssue, a.require(permNewsletterApprove))
	return e
}
