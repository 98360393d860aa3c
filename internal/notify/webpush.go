package notify

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"syscall"
	"time"

	"interlude/internal/care"
)

// VAPID is the application server's key pair (RFC 8292): browsers bind a
// subscription to its public key, and every push is signed with it.
type VAPID struct {
	key     *ecdsa.PrivateKey
	public  []byte // uncompressed P-256 point
	subject string // "mailto:…" or "https://…": whom a push service may contact
}

// LoadOrCreateVAPID reads the VAPID private key (PKCS #8, PEM) from path,
// creating it (0600) on first use; created says so. subject is the contact
// the push services see.
func LoadOrCreateVAPID(path, subject string) (v *VAPID, created bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, false, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, false, err
		}
		if err := writeNew(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
			return nil, false, fmt.Errorf("VAPID key: %w", err)
		}
		v, err := NewVAPID(k, subject)
		return v, true, err
	} else if err != nil {
		return nil, false, fmt.Errorf("VAPID key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, false, fmt.Errorf("VAPID key %s: not a PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, false, fmt.Errorf("VAPID key %s: %v", path, err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok || ek.Curve != elliptic.P256() {
		return nil, false, fmt.Errorf("VAPID key %s: not a P-256 key", path)
	}
	v, err = NewVAPID(ek, subject)
	return v, false, err
}

// NewVAPID returns the VAPID identity of key k with contact subject.
func NewVAPID(k *ecdsa.PrivateKey, subject string) (*VAPID, error) {
	u, err := url.Parse(subject)
	if err != nil || (u.Scheme != "mailto" && u.Scheme != "https") {
		return nil, fmt.Errorf("VAPID subject %q must be a mailto: or https: URL", subject)
	}
	pub, err := k.PublicKey.ECDH()
	if err != nil {
		return nil, err
	}
	return &VAPID{key: k, public: pub.Bytes(), subject: subject}, nil
}

// PublicKey returns the public key as browsers take it for
// applicationServerKey: base64url, unpadded, of the uncompressed point.
func (v *VAPID) PublicKey() string { return base64.RawURLEncoding.EncodeToString(v.public) }

// token returns the VAPID JWT for a push service's origin, valid for 12
// hours (RFC 8292 allows at most 24).
func (v *VAPID) token(aud string, now time.Time) (string, error) {
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(`{"typ":"JWT","alg":"ES256"}`))
	claims, err := json.Marshal(map[string]any{"aud": aud, "exp": now.Add(12 * time.Hour).Unix(), "sub": v.subject})
	if err != nil {
		return "", err
	}
	signed := head + "." + enc.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signed))
	r, s, err := ecdsa.Sign(rand.Reader, v.key, sum[:])
	if err != nil {
		return "", err
	}
	var sig [64]byte // JWS ES256: r and s, 32 bytes each, big-endian
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signed + "." + enc.EncodeToString(sig[:]), nil
}

// Pusher posts notices to browsers' push services.
type Pusher struct {
	vapid  *VAPID
	client *http.Client
	now    func() time.Time
	ttl    time.Duration
}

// PushOptions adjust a Pusher.
type PushOptions struct {
	// AllowPrivateAddresses lets pushes reach loopback and private
	// addresses (tests, whose push service is local). Without it the
	// Pusher refuses them at connect time, after name resolution: the
	// endpoint is a URL a user gave, and must not reach into our network.
	AllowPrivateAddresses bool
	// Transport, if set, replaces the default transport (tests).
	Transport http.RoundTripper
	Now       func() time.Time
	// TTL is how long a push service keeps an undelivered notice (default
	// four weeks).
	TTL time.Duration
}

// NewPusher returns a Pusher that signs with v.
func NewPusher(v *VAPID, o PushOptions) *Pusher {
	rt := o.Transport
	if rt == nil {
		d := &net.Dialer{Timeout: 10 * time.Second}
		if !o.AllowPrivateAddresses {
			d.Control = refusePrivate
		}
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.Proxy = nil
		t.DialContext = d.DialContext
		rt = t
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.TTL <= 0 {
		o.TTL = 28 * 24 * time.Hour
	}
	return &Pusher{vapid: v, now: o.Now, ttl: o.TTL, client: &http.Client{
		Transport: rt,
		Timeout:   30 * time.Second,
		// A push service answers; it does not send us elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// refusePrivate refuses connections to addresses that are not global
// unicast: loopback, private, link-local, unspecified.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsGlobalUnicast() || ip.IsPrivate() {
		return errors.New("push endpoint is not a public address")
	}
	return nil
}

// ErrGone says that a subscription has expired or was withdrawn: the push
// service answered 404 or 410, and the subscription should be deleted.
var ErrGone = errors.New("push: the subscription is gone")

// Send encrypts notice n for subscription sub and posts it to its push
// service. Errors never carry the endpoint (it identifies a browser).
func (p *Pusher) Send(ctx context.Context, sub care.PushSubscription, n Notice) error {
	return p.send(ctx, sub, n.PushPayload())
}

func (p *Pusher) send(ctx context.Context, sub care.PushSubscription, payload []byte) error {
	if err := sub.Validate(); err != nil {
		return errors.New("push: the subscription is malformed")
	}
	body, err := encrypt(sub.P256dh, sub.Auth, payload)
	if err != nil {
		return err
	}
	u, _ := url.Parse(sub.Endpoint)
	tok, err := p.vapid.token(u.Scheme+"://"+u.Host, p.now())
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.Endpoint, bytes.NewReader(body))
	if err != nil {
		return errors.New("push: the endpoint is not a URL")
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Content-Encoding", "aes128gcm")
	req.Header.Set("TTL", strconv.Itoa(int(p.ttl.Seconds())))
	req.Header.Set("Urgency", "normal")
	req.Header.Set("Authorization", "vapid t="+tok+", k="+p.vapid.PublicKey())
	resp, err := p.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL
		}
		return fmt.Errorf("push: posting to the push service: %w", err)
	}
	// Drained so that the connection can be reused; the status decides.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) //nolint:errcheck // see above
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return ErrGone
	}
	return &PushError{Status: resp.StatusCode}
}

// PushError is a push service's refusal.
type PushError struct{ Status int }

func (e *PushError) Error() string {
	return fmt.Sprintf("push: the push service answered %d", e.Status)
}

// Permanent reports whether trying again cannot help: the service refused
// the request itself (4xx but 408, 429), not its own state.
func (e *PushError) Permanent() bool {
	return e.Status >= 400 && e.Status < 500 && e.Status != http.StatusRequestTimeout && e.Status != http.StatusTooManyRequests
}

// paddedPayload is the length every payload is padded to, so that the
// size of what is posted does not tell one kind of notice from another.
const paddedPayload = 256

// recordSize is the aes128gcm record size: one record holds any payload
// we send (RFC 8291 allows 4096 bytes of push message).
const recordSize = 4096

// encrypt encrypts payload for a browser's key ua (uncompressed P-256)
// and authentication secret, per RFC 8291 in the aes128gcm content coding
// of RFC 8188: one record, padded to paddedPayload bytes of plaintext,
// under a fresh key pair and salt.
func encrypt(ua, authSecret, payload []byte) ([]byte, error) {
	asPriv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	return encryptWith(asPriv, salt, ua, authSecret, payload, paddedPayload)
}

// encryptWith is encrypt with a given key pair, salt and padded length
// (the test vectors of RFC 8291 fix them).
func encryptWith(asPriv *ecdh.PrivateKey, salt, ua, authSecret, payload []byte, padTo int) ([]byte, error) {
	if len(payload) > recordSize-16-1-86 {
		return nil, errors.New("push: payload too large")
	}
	uaPub, err := ecdh.P256().NewPublicKey(ua)
	if err != nil {
		return nil, errors.New("push: the subscription's key is not a P-256 point")
	}
	asPub := asPriv.PublicKey().Bytes()
	shared, err := asPriv.ECDH(uaPub)
	if err != nil {
		return nil, err
	}
	cek, nonce, err := deriveKeys(shared, authSecret, salt, ua, asPub)
	if err != nil {
		return nil, err
	}
	// The plaintext is the payload, the last-record delimiter 0x02, then
	// zeros up to the padded length.
	plain := make([]byte, max(padTo, len(payload)+1))
	copy(plain, payload)
	plain[len(payload)] = 2
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	// Header: salt, record size, key id length, key id (our public key).
	out := make([]byte, 0, 16+4+1+len(asPub)+len(plain)+gcm.Overhead())
	out = append(out, salt...)
	out = binary.BigEndian.AppendUint32(out, recordSize)
	out = append(out, byte(len(asPub)))
	out = append(out, asPub...)
	return gcm.Seal(out, nonce, plain, nil), nil
}

// deriveKeys derives the content encryption key and nonce (RFC 8291
// section 3.4) from the ECDH secret, the browser's auth secret, the
// record's salt and both public keys.
func deriveKeys(shared, authSecret, salt, uaPub, asPub []byte) (cek, nonce []byte, err error) {
	prkKey, err := hkdf.Extract(sha256.New, shared, authSecret)
	if err != nil {
		return nil, nil, err
	}
	keyInfo := "WebPush: info\x00" + string(uaPub) + string(asPub)
	ikm, err := hkdf.Expand(sha256.New, prkKey, keyInfo, 32)
	if err != nil {
		return nil, nil, err
	}
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, nil, err
	}
	if cek, err = hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16); err != nil {
		return nil, nil, err
	}
	nonce, err = hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	return cek, nonce, err
}

// writeNew writes a new file with mode 0600 and syncs it; it refuses to
// overwrite one.
func writeNew(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		return errors.Join(err, f.Close())
	}
	if err := f.Sync(); err != nil {
		return errors.Join(err, f.Close())
	}
	return f.Close()
}
