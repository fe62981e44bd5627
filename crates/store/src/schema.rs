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

diesel::allow_tables_to_appear_in_same_query!(
    users,
    collections,
    cards,
    card_tags,
    card_revisions,
    verifications,
    changes
);
