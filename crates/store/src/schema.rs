// The tables of migrations/{sqlite,postgres}, in diesel's terms. Only types that both
// backends share are used (no Bool: flags are Integer 0/1).

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        display_name -> Text,
        email -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        role -> Text,
        disabled -> Integer,
        token_version -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    collections (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        description -> Text,
        default_verifier -> Nullable<Text>,
        default_verify_every_days -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    cards (id) {
        id -> BigInt,
        slug -> Text,
        collection_id -> BigInt,
        title -> Text,
        body -> Text,
        owner -> Nullable<Text>,
        verifier -> Nullable<Text>,
        verify_every_days -> Integer,
        verified_at -> Nullable<Timestamp>,
        verified_by -> Nullable<Text>,
        verified_rev -> Nullable<Integer>,
        trusted -> Integer,
        due_soon_at -> Nullable<Timestamp>,
        due_at -> Nullable<Timestamp>,
        head_rev -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        updated_by -> Text,
        source_path -> Nullable<Text>,
        extra -> Text,
        archived_at -> Nullable<Timestamp>,
        source_hash -> Nullable<Text>,
        source_rev -> Nullable<Integer>,
        sync_conflict -> Integer,
    }
}

diesel::table! {
    card_tags (card_id, tag) {
        card_id -> BigInt,
        tag -> Text,
        position -> Integer,
    }
}

diesel::table! {
    card_revisions (id) {
        id -> BigInt,
        card_id -> BigInt,
        rev -> Integer,
        title -> Text,
        body -> Text,
        tags -> Text,
        author -> Text,
        message -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    verifications (id) {
        id -> BigInt,
        card_id -> BigInt,
        rev -> Integer,
        verified_by -> Text,
        verified_at -> Timestamp,
        note -> Text,
    }
}

diesel::table! {
    changes (seq) {
        seq -> BigInt,
        card_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::joinable!(cards -> collections (collection_id));
diesel::joinable!(card_tags -> cards (card_id));
diesel::joinable!(card_revisions -> cards (card_id));
diesel::joinable!(verifications -> cards (card_id));
diesel::joinable!(changes -> cards (card_id));

diesel::table! {
    groups (id) {
        id -> BigInt,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    group_members (group_id, user_id) {
        group_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::table! {
    verification_requests (id) {
        id -> BigInt,
        card_id -> BigInt,
        requested_by -> Text,
        comment -> Text,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
        resolved_by -> Nullable<Text>,
        resolution -> Nullable<Text>,
        answer -> Nullable<Text>,
    }
}

diesel::table! {
    reminders_sent (card_id, due_at, username) {
        card_id -> BigInt,
        due_at -> Timestamp,
        username -> Text,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        username -> Text,
        kind -> Text,
        title -> Text,
        body -> Text,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        payload -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
        failed_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    health_snapshots (day) {
        day -> Text,
        total -> Integer,
        verified -> Integer,
        due_soon -> Integer,
        stale -> Integer,
        unverified -> Integer,
    }
}

diesel::table! {
    card_links (card_id, target) {
        card_id -> BigInt,
        target -> Text,
    }
}

diesel::table! {
    attachments (id) {
        id -> BigInt,
        sha256 -> Text,
        content_type -> Text,
        size -> Integer,
        data -> Text,
        uploaded_by -> Text,
        created_at -> Timestamp,
        url_key -> Text,
    }
}

diesel::table! {
    attachment_grants (attachment_id, card_id) {
        attachment_id -> BigInt,
        card_id -> BigInt,
    }
}

diesel::table! {
    search_log (id) {
        id -> BigInt,
        username -> Text,
        query -> Text,
        results -> Integer,
        clicked_slug -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    collection_access (id) {
        id -> BigInt,
        collection_id -> BigInt,
        user_id -> Nullable<BigInt>,
        group_id -> Nullable<BigInt>,
        level -> Text,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        scope -> Text,
        expires_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    revoked_sessions (jti) {
        jti -> Text,
        expires_at -> Timestamp,
    }
}

diesel::joinable!(card_links -> cards (card_id));
diesel::joinable!(attachment_grants -> attachments (attachment_id));
diesel::joinable!(attachment_grants -> cards (card_id));
diesel::joinable!(collection_access -> collections (collection_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(group_members -> groups (group_id));
diesel::joinable!(group_members -> users (user_id));
diesel::joinable!(verification_requests -> cards (card_id));
diesel::joinable!(reminders_sent -> cards (card_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    collections,
    cards,
    card_tags,
    card_revisions,
    verifications,
    changes,
    groups,
    group_members,
    verification_requests,
    reminders_sent,
    notifications,
    webhook_deliveries,
    health_snapshots,
    card_links,
    attachments,
    attachment_grants,
    search_log,
    collection_access,
    api_tokens,
    revoked_sessions
);
