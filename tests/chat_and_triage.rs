//! Streaming grounded answers, the triage inbox and custom intents, end to end on the library.

mod common;

use futures::StreamExt;
use squeezedesk::chat::{self, ChatEvent};
use squeezedesk::triage::{self, InboxFilter, IncomingMessage};

async fn collect(engine: &std::sync::Arc<squeezedesk::Engine>, conversation: Option<i64>, text: &str) -> Vec<ChatEvent> {
    chat::chat(engine.clone(), conversation, text.to_string()).collect().await
}

#[tokio::test]
async fn answers_stream_with_citations_and_persist() {
    let (engine, _dir) = common::fresh_engine().await;
    engine.import_folder(&common::fixtures().join("kb"), |_| {}).await.unwrap();
    let events = collect(&engine, None, "my card was stolen, what should I do?").await;
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| match e {
            ChatEvent::Started { .. } => "started",
            ChatEvent::Analysis { .. } => "analysis",
            ChatEvent::Sources { .. } => "sources",
            ChatEvent::Delta { .. } => "delta",
            ChatEvent::Done { .. } => "done",
            ChatEvent::Error { .. } => "error",
        })
        .collect();
    assert_eq!(&kinds[..3], ["started", "analysis", "sources"], "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"done"));
    assert!(kinds.iter().filter(|k| **k == "delta").count() >= 1);

    let ChatEvent::Sources { sources } = &events[2] else { unreachable!() };
    assert_eq!(sources[0].document, "lost-card.md");
    let ChatEvent::Done { text, grounded, .. } = events.last().unwrap() else { unreachable!() };
    assert!(*grounded);
    assert!(text.contains("[1]"), "{text}");
    assert!(text.to_lowercase().contains("freeze") || text.contains("fraud"), "{text}");
    let streamed: String =
        events.iter().filter_map(|e| if let ChatEvent::Delta { text } = e { Some(text.as_str()) } else { None }).collect();
    assert_eq!(&streamed, text, "the pieces add up to the answer");

    let ChatEvent::Started { conversation_id, .. } = events[0] else { unreachable!() };
    let follow_up = collect(&engine, Some(conversation_id), "how long does shipping take?").await;
    assert!(matches!(follow_up.last(), Some(ChatEvent::Done { grounded: true, .. })));
    let (conversation, messages) = chat::messages(&engine, conversation_id).await.unwrap();
    assert_eq!(messages.len(), 4);
    assert_eq!(messages[0].role, "user");
    assert!(messages[1].sources.as_ref().is_some_and(|s| !s.is_empty()));
    let markdown = chat::to_markdown(&conversation, &messages);
    assert!(markdown.contains("lost-card.md") && markdown.contains("**You:** how long does shipping take?"), "{markdown}");

    // Saved exports: a second one gets its own file, and the JSON holds every message.
    let exports = tempfile::tempdir().unwrap();
    let dir = exports.path().join("not yet there");
    let first = chat::save_export(&dir, conversation_id, chat::ExportFormat::Md, &markdown).unwrap();
    let second = chat::save_export(&dir, conversation_id, chat::ExportFormat::Md, "again").unwrap();
    assert_eq!(first.file_name().unwrap().to_str(), Some(format!("conversation-{conversation_id}.md").as_str()));
    assert_eq!(second.file_name().unwrap().to_str(), Some(format!("conversation-{conversation_id} (2).md").as_str()));
    assert_eq!(std::fs::read_to_string(&first).unwrap(), markdown, "the first export is not overwritten");
    let json = chat::export(&engine, conversation_id, chat::ExportFormat::Json).await.unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["messages"].as_array().map(Vec::len), Some(4));
    assert_eq!(parsed["conversation"]["id"], conversation_id);
    assert!(chat::ExportFormat::from_name("exe").unwrap_err().to_string().contains("unknown export format"));
}

#[tokio::test]
async fn says_so_when_the_knowledge_base_has_nothing() {
    let (engine, _dir) = common::fresh_engine().await;
    engine.import_folder(&common::fixtures().join("kb"), |_| {}).await.unwrap();
    let events = collect(&engine, None, "what is the capital of France?").await;
    let Some(ChatEvent::Done { text, grounded, .. }) = events.last() else { panic!("{events:?}") };
    assert!(!grounded);
    assert!(text.contains("couldn't find"), "{text}");
    assert!(events.iter().any(|e| matches!(e, ChatEvent::Sources { sources } if sources.is_empty())));
}

#[tokio::test]
async fn a_refused_message_stores_nothing() {
    let (engine, _dir) = common::fresh_engine().await;
    let events = collect(&engine, None, "   ").await;
    assert!(matches!(&events[..], [ChatEvent::Error { message }] if message.contains("empty")), "{events:?}");
    assert!(chat::list_conversations(&engine).await.unwrap().is_empty());
    let events = collect(&engine, Some(999), "hello").await;
    assert!(matches!(&events[..], [ChatEvent::Error { message }] if message.contains("conversation 999")), "{events:?}");
}

#[tokio::test]
async fn triage_puts_an_angry_fraud_report_above_a_greeting() {
    let (engine, _dir) = common::fresh_engine().await;
    engine.import_folder(&common::fixtures().join("kb"), |_| {}).await.unwrap();
    let input = "id,from,message\n\
        1,ann@example.com,\"Hi there, hope you are having a nice day!\"\n\
        2,bob@example.com,\"There are charges on my card I never made. This is fraud and I am furious, fix it now!\"\n\
        3,cat@example.com,\"How long does shipping to Canada take?\"\n\
        4,dan@example.com,\"\"\n";
    let (messages, rejected) = triage::parse_messages(input).unwrap();
    assert_eq!((messages.len(), rejected.len()), (3, 1));
    let (items, refused) = triage::triage(&engine, &messages, "test.csv").await.unwrap();
    assert!(refused.is_empty());
    assert_eq!(items.len(), 3);

    let queue = triage::list(&engine, &InboxFilter::default()).await.unwrap();
    assert_eq!(queue[0].external_id.as_deref(), Some("2"), "{queue:#?}");
    assert_eq!(queue.last().unwrap().external_id.as_deref(), Some("1"));
    let fraud = &queue[0];
    assert_eq!(fraud.intent, "report_fraud");
    assert!(fraud.priority > 60.0, "{}", fraud.reason.formula);
    assert!(fraud.reason.formula.contains("report_fraud"));
    assert_eq!(fraud.suggestions.len(), 3);
    assert!(fraud.suggestions.iter().any(|s| s.document == "lost-card.md"), "{:?}", fraud.suggestions);

    let shipping = queue.iter().find(|i| i.external_id.as_deref() == Some("3")).unwrap();
    assert_eq!(shipping.suggestions[0].document, "guides/shipping.txt");

    triage::set_handled(&engine, fraud.id, true).await.unwrap();
    let open = triage::list(&engine, &InboxFilter::default()).await.unwrap();
    assert_eq!(open.len(), 2);
    let all = triage::list(&engine, &InboxFilter { include_handled: true, ..Default::default() }).await.unwrap();
    assert_eq!(all.len(), 3);
    let greetings = triage::list(&engine, &InboxFilter { intent: Some("greeting".into()), ..Default::default() }).await.unwrap();
    assert!(greetings.iter().all(|i| i.intent == "greeting"));
}

#[tokio::test]
async fn a_custom_intent_wins_on_a_paraphrase_and_explains_why() {
    let (engine, _dir) = common::fresh_engine().await;
    let examples: Vec<String> = [
        "my parcel never arrived",
        "the package was not delivered",
        "where is my order, it is two weeks late",
        "tracking says delivered but I have nothing",
    ]
    .map(String::from)
    .to_vec();
    let intent = engine.add_intent("missing_delivery", "orders that did not arrive", Some(0.8), &examples).await.unwrap();
    assert_eq!(intent.examples.len(), 4);
    engine
        .add_intent(
            "compliment",
            "",
            Some(0.0),
            &["great job, I love your service".into(), "thanks, you were very helpful".into()],
        )
        .await
        .unwrap();

    let a = engine.analyze("my order still hasn't shown up").await.unwrap();
    let custom = a.custom_intent.expect("the paraphrase matches the custom intent");
    assert_eq!(custom.label, "missing_delivery");
    assert!(custom.matched && custom.score >= squeezedesk::intents::DEFAULT_THRESHOLD);
    assert_eq!(custom.nearest.len(), 3);
    assert!(examples.contains(&custom.nearest[0].text));

    let ranked = engine.explain_intents("set an alarm for 7 am").await.unwrap();
    assert_eq!(ranked.len(), 2);
    assert!(ranked.iter().all(|m| !m.matched), "{ranked:?}");
    assert!(engine.analyze("set an alarm for 7 am").await.unwrap().custom_intent.is_none());

    // Triage takes the agent's urgency for a custom intent.
    let message = IncomingMessage { text: "my order still hasn't shown up".into(), ..Default::default() };
    let (items, _) = triage::triage(&engine, &[message], "test").await.unwrap();
    assert_eq!(items[0].custom_intent.as_deref(), Some("missing_delivery"));
    assert!(items[0].reason.custom && (items[0].reason.urgency - 0.8).abs() < 1e-6);

    engine.intent_store().remove("missing_delivery").await.unwrap();
    assert!(engine.intent_store().remove("missing_delivery").await.is_err());
    let after = engine.analyze("my order still hasn't shown up").await.unwrap();
    assert!(after.custom_intent.is_none_or(|c| c.label != "missing_delivery"));
    assert!(engine.add_intent("", "", None, &["x".into()]).await.is_err());
    assert!(engine.add_intent("no_examples", "", None, &["  ".into()]).await.is_err());
}
