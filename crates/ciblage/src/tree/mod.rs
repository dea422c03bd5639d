//! Segmentation trees.

pub mod cart;
pub mod chaid;
#[cfg(test)]
mod chaid_load_tests;
mod codes;
#[cfg(test)]
mod fuzz_tests;
mod inputs;
#[cfg(test)]
mod load_tests;
mod model_file;
mod task;

pub use codes::small_int_codes;
pub use inputs::{
    check_class_codes, check_finite_target, check_sample_weight, check_target_sums,
    check_training_shape,
};
pub use task::{AnyTask, Classification, Regression, TreeTask};

/// Text as it may stand inside a quoted Graphviz DOT string: backslashes
/// and quotes escaped, line breaks as `\n` (in DOT only `\"` is an escape:
/// a name ending in a backslash escaped the closing quote).
pub(crate) fn dot_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' | '\r' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod dot_tests {
    #[test]
    fn dot_text_escapes_what_would_end_the_string() {
        assert_eq!(super::dot_text(r#"a"b\"#), r#"a\"b\\"#);
        assert_eq!(super::dot_text("x\ny"), r"x\ny");
        assert_eq!(super::dot_text("plain é"), "plain é");
    }
}
