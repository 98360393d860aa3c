package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"interlude/internal/jobs"
	"interlude/internal/notify"
	"interlude/internal/store"
	"interlude/internal/web"
)

// notifyFlags configure notifications (issue #6): email over SMTP, and Web
// Push with the server's VAPID key.
type notifyFlags struct {
	smtpHost, smtpPort, smtpTLS string
	smtpUser, smtpPasswordFile  string
	smtpFrom                    string
	webPush                     bool
	vapidKeyFile, vapidSubject  string
}

func (f *notifyFlags) register(fs *flag.FlagSet, e *env) {
	fs.StringVar(&f.smtpHost, "smtp-host", envOr(e, "INTERLUDE_SMTP_HOST", ""),
		"SMTP server for email notifications; empty: no email (env INTERLUDE_SMTP_HOST)")
	fs.StringVar(&f.smtpPort, "smtp-port", envOr(e, "INTERLUDE_SMTP_PORT", "587"), "SMTP server port (env INTERLUDE_SMTP_PORT)")
	fs.StringVar(&f.smtpTLS, "smtp-tls", envOr(e, "INTERLUDE_SMTP_TLS", "starttls"),
		"starttls (port 587), tls (port 465) or none (a relay on this machine only) (env INTERLUDE_SMTP_TLS)")
	fs.StringVar(&f.smtpUser, "smtp-username", envOr(e, "INTERLUDE_SMTP_USERNAME", ""), "SMTP user name; empty: no authentication (env INTERLUDE_SMTP_USERNAME)")
	fs.StringVar(&f.smtpPasswordFile, "smtp-password-file", envOr(e, "INTERLUDE_SMTP_PASSWORD_FILE", ""),
		"file holding the SMTP password (env INTERLUDE_SMTP_PASSWORD_FILE; or the password itself in INTERLUDE_SMTP_PASSWORD)")
	fs.StringVar(&f.smtpFrom, "smtp-from", envOr(e, "INTERLUDE_SMTP_FROM", ""),
		`sender of notification emails, e.g. "Interlude <care@clinic.example>" (env INTERLUDE_SMTP_FROM)`)
	fs.BoolVar(&f.webPush, "web-push", envOr(e, "INTERLUDE_WEB_PUSH", "true") != "false",
		"offer browser notifications (Web Push); false to turn off (env INTERLUDE_WEB_PUSH)")
	fs.StringVar(&f.vapidKeyFile, "vapid-key-file", envOr(e, "INTERLUDE_VAPID_KEY_FILE", ""),
		"the Web Push (VAPID) private key, PEM; created on first start (env INTERLUDE_VAPID_KEY_FILE; default DATA/vapid.key)")
	fs.StringVar(&f.vapidSubject, "vapid-subject", envOr(e, "INTERLUDE_VAPID_SUBJECT", ""),
		"a mailto: or https: contact for push services (env INTERLUDE_VAPID_SUBJECT; default the base URL if https, else mailto: the sender)")
}

// sampleSecrets are passwords from examples, refused at start (EN-04).
var sampleSecrets = map[string]bool{"changeme": true, "password": true, "secret": true, "example": true, "xxx": true}

// mailer checks the SMTP settings and returns the mailer, or nil when
// email is off. The password comes from a file or the environment, never
// a flag (EN-04: other users of the machine can read a process's flags).
func (f *notifyFlags) mailer(e *env) (*notify.Mailer, error) {
	if f.smtpHost == "" {
		return nil, nil
	}
	port, err := strconv.Atoi(f.smtpPort)
	if err != nil {
		return nil, fmt.Errorf("--smtp-port %q is not a number", f.smtpPort)
	}
	if f.smtpFrom == "" {
		return nil, fmt.Errorf("--smtp-from is required with --smtp-host")
	}
	password := e.getenv("INTERLUDE_SMTP_PASSWORD")
	if f.smtpPasswordFile != "" {
		b, err := os.ReadFile(f.smtpPasswordFile)
		if err != nil {
			return nil, fmt.Errorf("--smtp-password-file: %w", err)
		}
		password = strings.TrimRight(string(b), "\r\n")
	}
	if sampleSecrets[strings.ToLower(password)] {
		return nil, fmt.Errorf("the SMTP password is a sample value; set the real one")
	}
	return notify.NewMailer(notify.SMTPConfig{Host: f.smtpHost, Port: port, TLS: notify.TLSMode(f.smtpTLS),
		Username: f.smtpUser, Password: password, From: f.smtpFrom})
}

// vapid loads or creates the VAPID key, or returns nil when Web Push is
// off; creating one is said on stderr, like the other keys.
func (f *notifyFlags) vapid(e *env, dataDir, baseURL string) (*notify.VAPID, error) {
	if !f.webPush {
		return nil, nil
	}
	path := f.vapidKeyFile
	if path == "" {
		path = filepath.Join(dataDir, "vapid.key")
	}
	subject := f.vapidSubject
	if subject == "" {
		subject = defaultVAPIDSubject(baseURL, f.smtpFrom)
	}
	v, created, err := notify.LoadOrCreateVAPID(path, subject)
	if err != nil {
		return nil, err
	}
	if created {
		//nolint:errcheck // a notice on stderr: if stderr cannot be written there is no one left to tell, and the key is made either way
		fmt.Fprintf(e.stderr, "interlude: created a Web Push (VAPID) key in %s; keep it with the data: browsers subscribed under it stop getting notifications if it changes.\n", path)
	}
	return v, nil
}

// defaultVAPIDSubject is the contact push services see when none is set:
// the site if it is https, else the sender of emails, else a mailbox at
// the site's host.
func defaultVAPIDSubject(baseURL, from string) string {
	u, err := url.Parse(baseURL)
	if err == nil && u.Scheme == "https" && u.Host != "" {
		return u.Scheme + "://" + u.Host
	}
	if a, err := mail.ParseAddress(from); err == nil {
		return "mailto:" + a.Address
	}
	host := "localhost"
	if err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return "mailto:interlude@" + host
}

// notifier is the configured notification dispatcher and what the web
// server says of it.
func (f *notifyFlags) notifier(e *env, dataDir, baseURL string, st *store.Store, log *slog.Logger) (*notify.Dispatcher, web.NotifyConfig, error) {
	m, err := f.mailer(e)
	if err != nil {
		return nil, web.NotifyConfig{}, err
	}
	v, err := f.vapid(e, dataDir, baseURL)
	if err != nil {
		return nil, web.NotifyConfig{}, err
	}
	if st != nil {
		st.SetEmailNotifications(m != nil)
	}
	d := &notify.Dispatcher{Dir: st, Mail: m, BaseURL: baseURL, Log: log}
	cfg := web.NotifyConfig{Email: m != nil}
	if v != nil {
		d.Push = notify.NewPusher(v, notify.PushOptions{})
		cfg.PushPublicKey = v.PublicKey()
	}
	log.Info("notifications", "email", m != nil, "web_push", v != nil)
	return d, cfg, nil
}

// registerNotify sets the handlers of the notification jobs.
func registerNotify(r *jobs.Runner, st *store.Store, d *notify.Dispatcher) {
	for kind := range notify.JobKinds {
		r.Register(kind, d.JobHandler(st))
	}
	// Password reset links asked for by email (#17).
	r.Register(store.JobPasswordResetEmail, d.ResetJobHandler(st))
	// Links that confirm a new email address (#17).
	r.Register(store.JobEmailConfirm, d.EmailConfirmJobHandler(st))
}
