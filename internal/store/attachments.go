package store

import (
	"context"
	"fmt"
	"strings"

	"interlude/internal/attach"
	"interlude/internal/care"
)

// Attachments of messages (issue #6). A file arrives already checked by
// package attach (outside the write transaction: decoding an image takes
// time the writer should not wait for); the store only makes sure its
// content still sniffs as its type. The file and its name are sealed
// under the client's data key, bound to the attachment's row, so a
// ciphertext copied to another row or column does not open (IN-01). Only
// the thread's participants open one; each opening is audited.

// attachmentField is a sealed column ("body" or "name") of an attachment.
func attachmentField(clinicID, clientID, attachmentID, column string) field {
	return field{clinic: clinicID, client: clientID, owner: clientID, table: "message_attachments", column: column, row: attachmentID}
}

// validateAttachments checks the files of a new message: how many, and
// that each is a checked file of an accepted type within the size bound.
func validateAttachments(as []care.Attachment) error {
	if len(as) > care.MaxAttachmentsPerMessage {
		return care.FieldError("file", "at most %d file can go with a message", care.MaxAttachmentsPerMessage)
	}
	for i := range as {
		a := &as[i]
		switch {
		case len(a.Data) == 0:
			return care.FieldError("file", "is empty")
		case len(a.Data) > care.MaxAttachmentSize:
			return care.FieldError("file", "is larger than %d MB", care.MaxAttachmentSize>>20)
		case care.AttachmentExt(a.ContentType) == "" || attach.Sniff(a.Data) != a.ContentType:
			return care.FieldError("file", "must be a JPEG or PNG image or a PDF document")
		case a.Name == "" || !strings.HasSuffix(a.Name, care.AttachmentExt(a.ContentType)):
			return fmt.Errorf("store: attachment name %q does not end as its type", a.Name)
		}
	}
	return nil
}

// insertAttachments stores the files of m, just inserted, and records
// each in the audit trail.
func (s *Store) insertAttachments(ctx context.Context, tx tx, actor care.Actor, m *care.Message) error {
	for i := range m.Attachments {
		a := &m.Attachments[i]
		a.ID, a.MessageID, a.ClientID, a.UploaderID, a.CreatedAt, a.Size = care.NewID(), m.ID, m.ClientID, actor.UserID, tx.now, int64(len(a.Data))
		body, err := s.sealValue(ctx, tx, attachmentField(m.ClinicID, m.ClientID, a.ID, "body"), a.Data)
		if err != nil {
			return err
		}
		name, err := s.sealValue(ctx, tx, attachmentField(m.ClinicID, m.ClientID, a.ID, "name"), []byte(a.Name))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO message_attachments (id, message_id, clinic_id, client_id, uploader_id, content_type, size, created_at, name_sealed, body_sealed)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			a.ID, a.MessageID, m.ClinicID, m.ClientID, a.UploaderID, a.ContentType, a.Size, micros(tx.now), name, body); err != nil {
			return err
		}
		ev := Event(actor, "attachment.create", "attachment", a.ID)
		ev.ClientID = m.ClientID
		if err := tx.audit(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

// listAttachments fills in the attachments (without their content) of
// the messages that have some, all of client clientID's thread, which the
// caller has already found visible.
func (s *Store) listAttachments(ctx context.Context, tx tx, clientID string, ms []care.Message) error {
	byID := map[string]*care.Message{}
	args := []any{clientID}
	var marks []string
	for i := range ms {
		if ms[i].Attachments != nil {
			byID[ms[i].ID] = &ms[i]
			args = append(args, ms[i].ID)
			marks = append(marks, fmt.Sprintf("$%d", len(args)))
		}
	}
	if len(byID) == 0 {
		return nil
	}
	rows, err := tx.QueryContext(ctx,
		`SELECT id, message_id, clinic_id, uploader_id, content_type, size, created_at, name_sealed FROM message_attachments
		 WHERE client_id = $1 AND message_id IN (`+strings.Join(marks, ", ")+`) ORDER BY created_at, id`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	type sealedName struct {
		a       care.Attachment
		clinic  string
		name    []byte
		created int64
	}
	var found []sealedName
	for rows.Next() {
		var sn sealedName
		if err := rows.Scan(&sn.a.ID, &sn.a.MessageID, &sn.clinic, &sn.a.UploaderID, &sn.a.ContentType, &sn.a.Size, &sn.created, &sn.name); err != nil {
			return err
		}
		found = append(found, sn)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	for _, sn := range found {
		m := byID[sn.a.MessageID]
		if m == nil || m.ClinicID != sn.clinic {
			continue
		}
		name, err := s.openValue(ctx, tx, attachmentField(sn.clinic, clientID, sn.a.ID, "name"), sn.name)
		if err != nil {
			return err
		}
		sn.a.Name, sn.a.ClientID, sn.a.CreatedAt = string(name), clientID, fromMicros(sn.created)
		m.Attachments = append(m.Attachments, sn.a)
	}
	return nil
}

// Attachment opens attachment attachmentID of message messageID in client
// clientID's thread, with its content, for the actor to download. The
// thread's participants (the client and their care team) may; an admin
// with break-glass access gets care.Forbidden; anyone else, and ids that
// do not name an attachment of that message and thread, care.ErrNotFound.
// Each opening, or refusal, is audited.
func (s *Store) Attachment(ctx context.Context, actor care.Actor, clientID, messageID, attachmentID string) (*care.Attachment, error) {
	ev, err := s.recordEvent(ctx, actor, "attachment.read", "attachment", attachmentID, clientID)
	if err != nil {
		return nil, err
	}
	var a care.Attachment
	err = s.auditedRead(ctx, ev, func(ctx context.Context, tx tx) error {
		if err := tx.journalClient(ctx, actor, clientID); err != nil {
			return err
		}
		if !care.IsThreadParticipant(actor, clientID) {
			return care.Errorf(care.Forbidden, "only the client and their care team open attachments")
		}
		var clinic string
		var created int64
		var name, body []byte
		err := tx.QueryRowContext(ctx,
			`SELECT a.id, a.message_id, a.clinic_id, a.client_id, a.uploader_id, a.content_type, a.size, a.created_at, a.name_sealed, a.body_sealed
			 FROM users c JOIN message_attachments a ON a.client_id = c.id AND a.clinic_id = c.clinic_id
			 WHERE `+visibleClient+` AND c.id = $4 AND a.message_id = $5 AND a.id = $6`,
			visibleArgs(tx, actor, clientID, messageID, attachmentID)...).
			Scan(&a.ID, &a.MessageID, &clinic, &a.ClientID, &a.UploaderID, &a.ContentType, &a.Size, &created, &name, &body)
		if err != nil {
			return notFound(err)
		}
		a.CreatedAt = fromMicros(created)
		plainName, err := s.openValue(ctx, tx, attachmentField(clinic, clientID, a.ID, "name"), name)
		if err != nil {
			return err
		}
		a.Name = string(plainName)
		a.Data, err = s.openValue(ctx, tx, attachmentField(clinic, clientID, a.ID, "body"), body)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}
