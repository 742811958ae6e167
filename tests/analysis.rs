//! One forward pass per message: intent, sentiment, embedding — on the real model.

mod common;

use squeezedesk::Error;

#[tokio::test]
async fn clear_cases_get_the_expected_intent_and_sentiment() {
    let (engine, _dir) = common::fresh_engine().await;
    let timer = engine.analyze("set a timer for ten minutes").await.unwrap();
    let intent = timer.intent.as_ref().unwrap();
    assert_eq!(intent.label, "timer");
    assert!(intent.score > 0.5, "{intent:?}");
    assert!(!intent.out_of_scope);
    assert_eq!(timer.embedding.len(), 384);
    let norm: f32 = timer.embedding.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-3, "embedding is L2-normalised, norm {norm}");

    let angry = engine.analyze("This is the worst service ever. I am furious and I hate this company.").await.unwrap();
    assert_eq!(angry.sentiment.as_ref().unwrap().label, "negative", "{:?}", angry.sentiment);

    let happy = engine.analyze("Thank you so much, the support team was wonderful!").await.unwrap();
    assert_eq!(happy.sentiment.as_ref().unwrap().label, "positive", "{:?}", happy.sentiment);

    let fraud = engine.analyze("there are charges on my card that I did not make, I think it is fraud").await.unwrap();
    assert_eq!(fraud.intent.as_ref().unwrap().label, "report_fraud");
}

#[tokio::test]
async fn top_k_probabilities_are_sorted_and_sum_at_most_one() {
    let (engine, _dir) = common::fresh_engine().await;
    let a = engine.analyze("what's the weather like tomorrow").await.unwrap();
    let top = &a.intent.as_ref().unwrap().top;
    assert_eq!(top.len(), 5);
    assert!(top.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(top.iter().map(|s| s.score).sum::<f32>() <= 1.0 + 1e-4);
    let sentiment = a.sentiment.as_ref().unwrap();
    let total: f32 = sentiment.probabilities.iter().map(|p| p.score).sum();
    assert!((total - 1.0).abs() < 1e-4);
}

#[tokio::test]
async fn long_input_is_truncated_and_says_so() {
    let (engine, _dir) = common::fresh_engine().await;
    let long = "my card was declined at the shop again and again. ".repeat(60);
    let a = engine.analyze(&long).await.unwrap();
    assert!(a.truncated);
    assert_eq!(a.tokens, engine.manifest().max_length);
    let short = engine.analyze("my card was declined").await.unwrap();
    assert!(!short.truncated);
}

#[tokio::test]
async fn empty_giant_and_unreadable_messages_are_clear_errors() {
    let (engine, _dir) = common::fresh_engine().await;
    for text in ["", "   \n\t "] {
        let err = engine.analyze(text).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err}");
        assert!(err.to_string().contains("empty"), "{err}");
    }
    let giant = "a".repeat(squeezedesk::model::tokenize::MAX_TEXT_BYTES + 1);
    let err = engine.analyze(&giant).await.unwrap_err();
    assert!(err.to_string().contains("too long"), "{err}");
    let control = "\u{0}\u{1}\u{200b}\u{feff}";
    let err = engine.analyze(control).await.unwrap_err();
    assert!(err.to_string().contains("no readable text"), "{err}");
}

#[tokio::test]
async fn odd_unicode_is_analysed() {
    let (engine, _dir) = common::fresh_engine().await;
    for text in [
        "🙂🔥💳",
        "ñandú café crème brûlée",
        "مرحبا كيف حالك",
        "пароль не работает",
        "ｆｕｌｌｗｉｄｔｈ　ｔｅｘｔ",
        "e\u{301}\u{301}\u{301}",
    ] {
        let a = engine.analyze(text).await.unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert!(a.intent.is_some() && a.sentiment.is_some());
        assert!(a.embedding.iter().all(|x| x.is_finite()));
    }
}
