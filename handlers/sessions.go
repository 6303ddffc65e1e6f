package handlers

import (
	"context"
	"crypto/subtle"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"golang.org/x/time/rate"

	"github.com/maillage/maillage/geo"
)

// UserStore keeps accounts and their sessions.
type UserStore interface {
	SignIn(ctx context.Context, email, password, previous string, ttl time.Duration) (*geo.Session, error)
	FindSession(ctx context.Context, id string) (*geo.Session, error)
	SignOut(ctx context.Context, id string) error
	IssuePasswordLink(ctx context.Context, email string) (*geo.User, string, error)
	SetPassword(ctx context.Context, link, password string) error
	CreateUser(ctx context.Context, email, role string) (*geo.User, string, error)
	FindUsers(ctx context.Context) ([]geo.User, error)
	SetRole(ctx context.Context, id int64, role string) (*geo.User, error)
	DeleteUser(ctx context.Context, id int64) error
}

// Mailer sends the one-time links of forgotten passwords.
type Mailer interface {
	SendPasswordLink(ctx context.Context, to, link string) error
}

const (
	sessionCookie = "maillage_session"
	csrfHeader    = "X-CSRF-Token"
	csrfFailedKey = "csrf_failed"
	sessionKey    = "session"
)

// PasswordLinkPath is the page where a one-time link sets a password;
// the link's secret follows in the fragment, which no server log sees.
const PasswordLinkPath = "/connexion#lien="

// signInLimits counts wrong passwords per account and per client IP.
type signInLimits struct {
	perAccount, perIP     *ipLimiters
	accountEvery, ipEvery time.Duration
	accountBurst, ipBurst int
}

func newSignInLimits(o Options) *signInLimits {
	l := &signInLimits{accountBurst: o.SignInFailures, ipBurst: o.SignInFailuresPerIP}
	if l.accountBurst > 0 {
		l.accountEvery = o.SignInWindow / time.Duration(l.accountBurst)
		l.perAccount = newIPLimiters(rate.Every(l.accountEvery), l.accountBurst)
	}
	if l.ipBurst > 0 {
		l.ipEvery = o.SignInWindow / time.Duration(l.ipBurst)
		l.perIP = newIPLimiters(rate.Every(l.ipEvery), l.ipBurst)
	}
	return l
}

// wait returns how long the account or the IP must wait before another
// try, 0 when it may try now.
func (l *signInLimits) wait(account, ip string, now time.Time) time.Duration {
	var d time.Duration
	check := func(t *ipLimiters, key string, every time.Duration) {
		if t == nil {
			return
		}
		t.with(key, now, func(lim *rate.Limiter) {
			if tokens := lim.TokensAt(now); tokens < 1 {
				d = max(d, time.Duration(math.Ceil((1-tokens)*float64(every))))
			}
		})
	}
	check(l.perAccount, account, l.accountEvery)
	check(l.perIP, ip, l.ipEvery)
	return d
}

// failed counts a wrong password against the account and the IP.
func (l *signInLimits) failed(account, ip string, now time.Time) {
	for _, p := range []struct {
		t   *ipLimiters
		key string
	}{{l.perAccount, account}, {l.perIP, ip}} {
		if p.t != nil {
			p.t.with(p.key, now, func(lim *rate.Limiter) { lim.AllowN(now, 1) })
		}
	}
}

// authenticateSession reads the session cookie of a request without an
// Authorization header. A live session makes its person the caller; an
// unknown or expired one is dropped (the caller is anonymous, and the
// cookie is cleared). A write through a session must come from this
// site's origin and carry the session's CSRF token: otherwise the caller
// stays anonymous and routes needing a role answer 403.
func (s *Server) authenticateSession(c *echo.Context) error {
	ck, err := c.Request().Cookie(sessionCookie)
	if err != nil || ck.Value == "" || s.Users == nil {
		return nil
	}
	sess, err := s.Users.FindSession(c.Request().Context(), ck.Value)
	if geo.ErrorCode(err) == geo.EUnauthorized {
		s.clearSessionCookie(c)
		return nil
	}
	if err != nil {
		return err
	}
	c.Set(sessionKey, sess)
	if !safeMethod(c.Request().Method) {
		if reason := s.checkCSRF(c, sess); reason != "" {
			c.Set(csrfFailedKey, reason)
			return nil
		}
	}
	c.Set(keeperKey, &geo.Keeper{Name: sess.User.Email, Role: sess.User.Role, UserID: sess.User.ID})
	return nil
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// checkCSRF returns why a session's write is refused, or "".
func (s *Server) checkCSRF(c *echo.Context, sess *geo.Session) string {
	if !s.sameOrigin(c.Request()) {
		return "cross-origin request refused"
	}
	got := c.Request().Header.Get(csrfHeader)
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) != 1 {
		return "missing or wrong " + csrfHeader + " header (GET /api/session gives it)"
	}
	return ""
}

// sameOrigin reports whether r comes from this site: its Origin (or,
// without one, its Referer) names the public URL's host, or the
// request's own Host when no public URL is set. A request with neither
// header is not a browser's cross-site one and passes; Sec-Fetch-Site
// "cross-site" fails.
func (s *Server) sameOrigin(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		origin = r.Header.Get("Referer")
	}
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	want := r.Host
	if s.opts.PublicURL != nil {
		want = s.opts.PublicURL.Host
		if u.Scheme != s.opts.PublicURL.Scheme {
			return false
		}
	}
	return strings.EqualFold(u.Host, want)
}

// secureCookies reports whether the session cookie gets Secure: when the
// request came over TLS or the public URL is https.
func (s *Server) secureCookies(r *http.Request) bool {
	return r.TLS != nil || (s.opts.PublicURL != nil && s.opts.PublicURL.Scheme == "https")
}

func (s *Server) setSessionCookie(c *echo.Context, sess *geo.Session) {
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: sess.ID, Path: "/", Expires: sess.Expires,
		HttpOnly: true, Secure: s.secureCookies(c.Request()), SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearSessionCookie(c *echo.Context) {
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secureCookies(c.Request()), SameSite: http.SameSiteLaxMode})
}

// sessionJSON is the signed-in person and the CSRF token of their writes.
type sessionJSON struct {
	User      geo.User `json:"user"`
	CSRFToken string   `json:"csrf_token"`
	ExpiresAt string   `json:"expires_at"`
}

func newSessionJSON(sess *geo.Session) sessionJSON {
	return sessionJSON{User: sess.User, CSRFToken: sess.CSRF, ExpiresAt: sess.Expires.UTC().Format(time.RFC3339)}
}

// decodeBody reads a JSON object of known fields into v (decodeStrict).
func decodeBody(c *echo.Context, v any) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return err
	}
	return decodeStrict(body, v)
}

// signIn answers POST /api/session {email, password}: 200 with the
// session, whose id goes in a new cookie (any former session of the
// browser ends). 401 for a wrong email or password; 429 with Retry-After
// past SignInFailures wrong passwords for the account or
// SignInFailuresPerIP for the client IP.
func (s *Server) signIn(c *echo.Context) error {
	if !s.sameOrigin(c.Request()) {
		return geo.Errorf(geo.EForbidden, "cross-origin request refused")
	}
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	errs := geo.FieldErrors{}
	if strings.TrimSpace(in.Email) == "" {
		errs.Add("email", "required")
	}
	if in.Password == "" {
		errs.Add("password", "required")
	}
	if err := errs.Err(); err != nil {
		return err
	}
	account, ip, now := strings.ToLower(strings.TrimSpace(in.Email)), c.RealIP(), time.Now()
	if wait := s.signIns.wait(account, ip, now); wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
		return c.JSON(http.StatusTooManyRequests, errorBody{Error: "too many wrong passwords: try again later"})
	}
	previous := ""
	if ck, err := c.Request().Cookie(sessionCookie); err == nil {
		previous = ck.Value
	}
	sess, err := s.Users.SignIn(c.Request().Context(), in.Email, in.Password, previous, s.opts.SessionTTL)
	if geo.ErrorCode(err) == geo.EUnauthorized {
		s.signIns.failed(account, ip, now)
	}
	if err != nil {
		return err
	}
	s.setSessionCookie(c, sess)
	return c.JSON(http.StatusOK, newSessionJSON(sess))
}

// getSession answers GET /api/session: the signed-in person and the CSRF
// token; for a bearer token, its name and role; otherwise {"user": null}
// (not an error, so that a page asking logs none).
func (s *Server) getSession(c *echo.Context) error {
	if err := readParams(c).err(); err != nil {
		return err
	}
	sess, _ := c.Get(sessionKey).(*geo.Session)
	if sess == nil {
		if k := caller(c); k != nil {
			return c.JSON(http.StatusOK, map[string]any{"user": nil, "token": k.Name, "role": k.Role})
		}
		return c.JSON(http.StatusOK, map[string]any{"user": nil})
	}
	return c.JSON(http.StatusOK, newSessionJSON(sess))
}

// signOut answers DELETE /api/session: 204, the session ended.
func (s *Server) signOut(c *echo.Context) error {
	if sess, _ := c.Get(sessionKey).(*geo.Session); sess != nil {
		if err := s.Users.SignOut(c.Request().Context(), sess.ID); err != nil {
			return err
		}
	}
	s.clearSessionCookie(c)
	return c.NoContent(http.StatusNoContent)
}

// requestPasswordLink answers POST /api/password-links {email}: 202
// whether or not the account exists (nobody learns who has one); the
// link goes by mail when a Mailer is set, else an admin gives it with
// `maillage user reset EMAIL`. Counted as a wrong password against the
// client IP, so that it cannot flood an inbox.
func (s *Server) requestPasswordLink(c *echo.Context) error {
	if !s.sameOrigin(c.Request()) {
		return geo.Errorf(geo.EForbidden, "cross-origin request refused")
	}
	var in struct {
		Email string `json:"email"`
	}
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	email, err := geo.NormalizeEmail(in.Email)
	if err != nil {
		return err
	}
	ip, now := c.RealIP(), time.Now()
	if wait := s.signIns.wait(email, ip, now); wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
		return c.JSON(http.StatusTooManyRequests, errorBody{Error: "too many requests: try again later"})
	}
	s.signIns.failed(email, ip, now)
	accepted := map[string]string{"status": "if this address has an account, a link was sent"}
	if s.Mailer == nil {
		s.logger.Info("password link asked, no SMTP configured: give one with maillage user reset", "email", email)
		return c.JSON(http.StatusAccepted, accepted)
	}
	_, link, err := s.Users.IssuePasswordLink(c.Request().Context(), email)
	if geo.ErrorCode(err) == geo.ENotFound {
		return c.JSON(http.StatusAccepted, accepted)
	}
	if err != nil {
		return err
	}
	if err := s.Mailer.SendPasswordLink(c.Request().Context(), email, s.absoluteURL(c, PasswordLinkPath+link)); err != nil {
		s.logger.Error("sending a password link", "err", err)
		return geo.Errorf(geo.EUnavailable, "the mail could not be sent; try again later")
	}
	return c.JSON(http.StatusAccepted, accepted)
}

// absoluteURL returns path (starting with /) on the public URL, or on
// the request's host.
func (s *Server) absoluteURL(c *echo.Context, path string) string {
	if u := s.opts.PublicURL; u != nil {
		return strings.TrimSuffix(u.String(), "/") + path
	}
	scheme := "http"
	if c.Request().TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.Request().Host + path
}

// setPassword answers PUT /api/password {link, password}: 204, the
// password set, the link used up and the account's sessions ended. 401
// for an unknown, used or expired link; 400 for a bad password.
func (s *Server) setPassword(c *echo.Context) error {
	if !s.sameOrigin(c.Request()) {
		return geo.Errorf(geo.EForbidden, "cross-origin request refused")
	}
	var in struct {
		Link     string `json:"link"`
		Password string `json:"password"`
	}
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	if in.Link == "" {
		return &geo.Error{Code: geo.EInvalid, Message: "invalid input", Fields: map[string]string{"link": "required"}}
	}
	if err := s.Users.SetPassword(c.Request().Context(), in.Link, in.Password); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// signInPage serves the sign-in page (/connexion): sign in, ask for a
// password link, or set a password with one (#lien=... in the address).
// ?suite= names the page of this site to go to after signing in.
func (s *Server) signInPage(c *echo.Context) error {
	if err := readParams(c, "suite").err(); err != nil {
		return err
	}
	return s.serveShell(c, "connexion.html", http.StatusOK, pageJSON{}, nil, "")
}
