//! Validation of requests into core options: every bad field of a request collected at once,
//! each named by its path.

use crate::core::{
    AnalyzeOptions, ClassifyOptions, KeywordMethod, KeywordOptions, MAX_PROFILE_NAME_CHARS,
    Normalized, POS_TAG_RULE, PROFILE_NAME_RULE, Script, SegmentMode, SegmentOptions, Segmenter,
    is_pos_tag,
};

use super::pb;
use super::wire::Answer;
use crate::edge::{FieldViolation, Limits};

/// The most keywords one request may ask for.
pub(crate) const MAX_TOP_K: u32 = 1000;
/// `top_k` when a request leaves it 0, as in jieba.
pub(crate) const DEFAULT_TOP_K: u32 = 20;
/// The most part-of-speech tags in `allowed_pos`.
pub(crate) const MAX_ALLOWED_POS: usize = 64;

/// A validated request: the text, what to do with it, and the client's `id` (if the request
/// has one).
pub(crate) struct Job<T> {
    pub(crate) text: String,
    /// The script the request says the text is in.
    pub(crate) script: Script,
    /// The dictionary profile asked for (empty: the default).
    pub(crate) profile: String,
    pub(crate) options: T,
    pub(crate) id: String,
}

impl<T> Job<T> {
    /// The text in the form it is analysed in (converted to Simplified when Traditional).
    pub(crate) fn normalized(&self) -> Normalized<'_> {
        Normalized::new(&self.text, self.script)
    }
}

/// Core options and the shape of the answer to write from what the core returns.
#[derive(Debug, Default)]
pub(crate) struct Shaped<T> {
    pub(crate) options: T,
    pub(crate) answer: Answer,
}

/// The outcome of validating a request: a job, or every bad field.
pub(crate) type Validated<T> = Result<Job<T>, Vec<FieldViolation>>;

/// Collects every bad field of a request, so one answer names them all.
#[derive(Default)]
struct Violations(Vec<FieldViolation>);

impl Violations {
    fn add(&mut self, field: &str, description: impl Into<String>) {
        self.0.push(FieldViolation::new(field, description));
    }

    fn check_text(&mut self, text: &str, limits: &Limits) {
        if text.is_empty() {
            self.add("text", "must not be empty");
        } else if text.len() > limits.max_text_chars {
            // Only count characters when the byte length could exceed the limit.
            let chars = text.chars().count();
            if chars > limits.max_text_chars {
                self.add(
                    "text",
                    format!(
                        "is {chars} characters long; the limit is {}",
                        limits.max_text_chars
                    ),
                );
            }
        }
    }

    fn segment(
        &mut self,
        prefix: &str,
        mode: i32,
        disable_hmm: bool,
        with_pos: bool,
    ) -> SegmentOptions {
        let mode = match pb::SegmentMode::try_from(mode) {
            Ok(pb::SegmentMode::Precise) => SegmentMode::Precise,
            Ok(pb::SegmentMode::Full) => SegmentMode::Full,
            Ok(pb::SegmentMode::Search) => SegmentMode::Search,
            Ok(pb::SegmentMode::Accurate) => SegmentMode::Accurate,
            Err(_) => {
                self.add(
                    &format!("{prefix}mode"),
                    format!("unknown segment mode {mode}; use PRECISE, FULL, SEARCH or ACCURATE"),
                );
                SegmentMode::Precise
            }
        };
        if with_pos && !matches!(mode, SegmentMode::Precise | SegmentMode::Accurate) {
            self.add(
                &format!("{prefix}with_pos"),
                "part-of-speech tags are only available in modes PRECISE and ACCURATE",
            );
        }
        SegmentOptions {
            mode,
            hmm: !disable_hmm,
            with_pos,
        }
    }

    /// The answer's shape; WORDS and BOUNDARIES leave out what tags need, and BOUNDARIES
    /// describes only words that tile the text.
    fn answer(&mut self, prefix: &str, answer: i32, options: &SegmentOptions) -> Answer {
        let field = format!("{prefix}answer");
        let answer = match pb::SegmentAnswer::try_from(answer) {
            Ok(pb::SegmentAnswer::Tokens) => return Answer::Tokens,
            Ok(pb::SegmentAnswer::Words) => Answer::Words,
            Ok(pb::SegmentAnswer::Boundaries) => Answer::Boundaries,
            Err(_) => {
                self.add(
                    &field,
                    format!("unknown answer {answer}; use TOKENS, WORDS or BOUNDARIES"),
                );
                return Answer::Tokens;
            }
        };
        if options.with_pos {
            self.add(
                &field,
                "part-of-speech tags come only with TOKENS; leave `answer` unset with `with_pos`",
            );
        }
        if answer == Answer::Boundaries
            && !matches!(options.mode, SegmentMode::Precise | SegmentMode::Accurate)
        {
            self.add(
                &field,
                "BOUNDARIES needs mode PRECISE or ACCURATE, whose words tile the text; other \
                 modes' words overlap: use TOKENS or WORDS",
            );
        }
        answer
    }

    fn keywords(
        &mut self,
        prefix: &str,
        method: i32,
        top_k: u32,
        allowed_pos: Vec<String>,
        mode: i32,
    ) -> KeywordOptions {
        let segmenter = match pb::SegmentMode::try_from(mode) {
            Ok(pb::SegmentMode::Precise) => Segmenter::Jieba,
            Ok(pb::SegmentMode::Accurate) => Segmenter::Accurate,
            _ => {
                self.add(
                    &format!("{prefix}mode"),
                    format!(
                        "keywords are ranked over the words of mode PRECISE or ACCURATE, not {}",
                        pb::SegmentMode::try_from(mode)
                            .map_or_else(|_| mode.to_string(), |m| m.as_str_name().to_owned())
                    ),
                );
                Segmenter::Jieba
            }
        };
        let method = match pb::KeywordMethod::try_from(method) {
            Ok(pb::KeywordMethod::Tfidf) => KeywordMethod::TfIdf,
            Ok(pb::KeywordMethod::Textrank) => KeywordMethod::TextRank,
            Err(_) => {
                self.add(
                    &format!("{prefix}method"),
                    format!("unknown keyword method {method}; use TFIDF or TEXTRANK"),
                );
                KeywordMethod::TfIdf
            }
        };
        if top_k > MAX_TOP_K {
            self.add(
                &format!("{prefix}top_k"),
                format!(
                    "is {top_k}; it must be between 0 (meaning {DEFAULT_TOP_K}) and {MAX_TOP_K}"
                ),
            );
        }
        if allowed_pos.len() > MAX_ALLOWED_POS {
            self.add(
                &format!("{prefix}allowed_pos"),
                format!(
                    "has {} tags; at most {MAX_ALLOWED_POS} are accepted",
                    allowed_pos.len()
                ),
            );
        }
        for (i, tag) in allowed_pos.iter().enumerate() {
            if !is_pos_tag(tag) {
                self.add(&format!("{prefix}allowed_pos[{i}]"), POS_TAG_RULE);
            }
        }
        KeywordOptions {
            method,
            top_k: if top_k == 0 { DEFAULT_TOP_K } else { top_k } as usize,
            allowed_pos,
            segmenter,
        }
    }

    fn classify(&mut self, prefix: &str, model: String, top_k: u32) -> ClassifyOptions {
        if top_k > MAX_TOP_K {
            self.add(
                &format!("{prefix}top_k"),
                format!("is {top_k}; it must be between 0 (meaning all labels) and {MAX_TOP_K}"),
            );
        }
        ClassifyOptions {
            model,
            top_k: top_k as usize,
        }
    }

    fn script(&mut self, script: i32) -> Script {
        match pb::Script::try_from(script) {
            Ok(pb::Script::Simplified) => Script::Simplified,
            Ok(pb::Script::Traditional) => Script::Traditional,
            Ok(pb::Script::Auto) => Script::Auto,
            Err(_) => {
                self.add(
                    "script",
                    format!("unknown script {script}; use SIMPLIFIED, TRADITIONAL or AUTO"),
                );
                Script::Simplified
            }
        }
    }

    fn finish<T>(mut self, text: String, script: i32, profile: String, options: T) -> Validated<T> {
        let script = self.script(script);
        if profile.chars().count() > MAX_PROFILE_NAME_CHARS {
            self.add("profile", PROFILE_NAME_RULE);
        }
        if self.0.is_empty() {
            Ok(Job {
                text,
                script,
                profile,
                options,
                id: String::new(),
            })
        } else {
            Err(self.0)
        }
    }
}

impl pb::SegmentRequest {
    /// Checks every field and converts the request into core options.
    pub(crate) fn validate(self, limits: &Limits) -> Validated<Shaped<SegmentOptions>> {
        let mut v = Violations::default();
        v.check_text(&self.text, limits);
        let options = v.segment("", self.mode, self.disable_hmm, self.with_pos);
        let answer = v.answer("", self.answer, &options);
        v.finish(
            self.text,
            self.script,
            self.profile,
            Shaped { options, answer },
        )
    }
}

impl pb::ExtractKeywordsRequest {
    /// Checks every field and converts the request into core options.
    pub(crate) fn validate(self, limits: &Limits) -> Validated<KeywordOptions> {
        let mut v = Violations::default();
        v.check_text(&self.text, limits);
        let options = v.keywords("", self.method, self.top_k, self.allowed_pos, self.mode);
        v.finish(self.text, self.script, self.profile, options)
    }
}

impl pb::AnalyzeRequest {
    /// Checks every field and converts the request into core options. With no part set, all
    /// run with their defaults.
    pub(crate) fn validate(self, limits: &Limits) -> Validated<Shaped<AnalyzeOptions>> {
        let mut v = Violations::default();
        v.check_text(&self.text, limits);
        let mut answer = Answer::Tokens;
        let options = match (self.segment, self.keywords, self.classify) {
            (None, None, None) => AnalyzeOptions {
                segment: Some(SegmentOptions::default()),
                keywords: Some(KeywordOptions::default()),
                classify: Some(ClassifyOptions::default()),
            },
            (segment, keywords, classify) => AnalyzeOptions {
                segment: segment.map(|s| {
                    let options = v.segment("segment.", s.mode, s.disable_hmm, s.with_pos);
                    answer = v.answer("segment.", s.answer, &options);
                    options
                }),
                keywords: keywords
                    .map(|k| v.keywords("keywords.", k.method, k.top_k, k.allowed_pos, k.mode)),
                classify: classify.map(|c| v.classify("classify.", c.model, c.top_k)),
            },
        };
        v.finish(
            self.text,
            self.script,
            self.profile,
            Shaped { options, answer },
        )
        .map(|job| Job { id: self.id, ..job })
    }
}

impl pb::ClassifyRequest {
    /// Checks every field and converts the request into core options.
    pub(crate) fn validate(self, limits: &Limits) -> Validated<ClassifyOptions> {
        let mut v = Violations::default();
        v.check_text(&self.text, limits);
        let options = v.classify("", self.model, self.top_k);
        v.finish(self.text, self.script, self.profile, options)
    }
}

/// A request about one text, whose length is logged whether or not the request is valid.
pub(crate) trait TextRequest {
    /// The text to analyse.
    fn text(&self) -> &str;
}

impl TextRequest for pb::SegmentRequest {
    fn text(&self) -> &str {
        &self.text
    }
}

impl TextRequest for pb::ExtractKeywordsRequest {
    fn text(&self) -> &str {
        &self.text
    }
}

impl TextRequest for pb::AnalyzeRequest {
    fn text(&self) -> &str {
        &self.text
    }
}

impl TextRequest for pb::ClassifyRequest {
    fn text(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(violations: &[FieldViolation]) -> Vec<&str> {
        violations.iter().map(|v| v.field.as_str()).collect()
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let request = pb::ExtractKeywordsRequest {
            text: String::new(),
            method: 9,
            top_k: 5000,
            allowed_pos: vec!["n".into(), "".into()],
            ..Default::default()
        };
        let err = request.validate(&Limits::default()).err().unwrap();
        assert_eq!(fields(&err), ["text", "method", "top_k", "allowed_pos[1]"]);
    }

    #[test]
    fn compact_answers_leave_out_what_they_cannot_carry() {
        let request = |mode: pb::SegmentMode, with_pos, answer: pb::SegmentAnswer| {
            pb::SegmentRequest {
                text: "文本".into(),
                mode: mode as i32,
                with_pos,
                answer: answer as i32,
                ..Default::default()
            }
            .validate(&Limits::default())
        };
        use pb::{SegmentAnswer as A, SegmentMode as M};
        assert_eq!(
            request(M::Precise, false, A::Boundaries)
                .ok()
                .unwrap()
                .options
                .answer,
            Answer::Boundaries
        );
        assert_eq!(
            request(M::Search, false, A::Words)
                .ok()
                .unwrap()
                .options
                .answer,
            Answer::Words
        );
        let err = request(M::Full, false, A::Boundaries).err().unwrap();
        assert_eq!(fields(&err), ["answer"]);
        assert!(err[0].description.contains("PRECISE"));
        let err = request(M::Precise, true, A::Words).err().unwrap();
        assert_eq!(fields(&err), ["answer"]);
        let unknown = pb::SegmentRequest {
            text: "文本".into(),
            answer: 9,
            ..Default::default()
        };
        assert_eq!(
            fields(&unknown.validate(&Limits::default()).err().unwrap()),
            ["answer"]
        );
        let analyze = pb::AnalyzeRequest {
            text: "文本".into(),
            segment: Some(pb::SegmentOptions {
                mode: M::Full as i32,
                answer: A::Boundaries as i32,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            fields(&analyze.validate(&Limits::default()).err().unwrap()),
            ["segment.answer"]
        );
    }

    #[test]
    fn text_limit_counts_characters_not_bytes() {
        let limits = Limits {
            max_text_chars: 3,
            ..Limits::default()
        };
        let ok = pb::SegmentRequest {
            text: "北京市".into(),
            ..Default::default()
        };
        assert!(ok.validate(&limits).is_ok());
        let long = pb::SegmentRequest {
            text: "北京市民".into(),
            ..Default::default()
        };
        let err = long.validate(&limits).err().unwrap();
        assert_eq!(err[0].description, "is 4 characters long; the limit is 3");
    }

    #[test]
    fn analyze_defaults_to_everything_and_prefixes_nested_fields() {
        let job = pb::AnalyzeRequest {
            text: "文本".into(),
            ..Default::default()
        }
        .validate(&Limits::default())
        .ok()
        .unwrap();
        let options = &job.options.options;
        assert!(options.segment.is_some() && options.keywords.is_some());
        assert!(options.classify.is_some());
        assert_eq!(job.options.answer, Answer::Tokens);
        let err = pb::AnalyzeRequest {
            text: "文本".into(),
            segment: Some(pb::SegmentOptions {
                mode: 1,
                with_pos: true,
                ..Default::default()
            }),
            keywords: Some(pb::KeywordOptions {
                top_k: 1001,
                ..Default::default()
            }),
            classify: Some(pb::ClassifyOptions {
                top_k: 1001,
                ..Default::default()
            }),
            id: String::new(),
            script: 9,
            profile: "p".repeat(65),
        }
        .validate(&Limits::default())
        .err()
        .unwrap();
        assert_eq!(
            fields(&err),
            [
                "segment.with_pos",
                "keywords.top_k",
                "classify.top_k",
                "script",
                "profile"
            ]
        );
    }

    #[test]
    fn top_k_zero_means_twenty() {
        let job = pb::ExtractKeywordsRequest {
            text: "文本".into(),
            ..Default::default()
        }
        .validate(&Limits::default())
        .ok()
        .unwrap();
        assert_eq!(job.options.top_k, 20);
    }
}
