//! The Fluent bundles: built once from the `.ftl` files compiled into the binary.

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_syntax::ast;

use super::{Arg, Locale};

/// Each language's files, in the order they are added to its bundle. A translator edits these.
const JA: [(&str, &str); 3] = [
    ("ja/pages.ftl", include_str!("ja/pages.ftl")),
    ("ja/errors.ftl", include_str!("ja/errors.ftl")),
    ("ja/messages.ftl", include_str!("ja/messages.ftl")),
];
const EN: [(&str, &str); 3] = [
    ("en/pages.ftl", include_str!("en/pages.ftl")),
    ("en/errors.ftl", include_str!("en/errors.ftl")),
    ("en/messages.ftl", include_str!("en/messages.ftl")),
];

struct Catalogs {
    ja: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

static CATALOGS: LazyLock<Catalogs> =
    LazyLock::new(|| Catalogs { ja: bundle(Locale::Ja, &JA), en: bundle(Locale::En, &EN) });

/// A catalog that does not parse is a build mistake, caught by the first test that renders text.
fn bundle(locale: Locale, files: &[(&str, &str)]) -> FluentBundle<FluentResource> {
    let tag: unic_langid::LanguageIdentifier = locale.tag().parse().expect("our tags are valid");
    let mut bundle = FluentBundle::new_concurrent(vec![tag]);
    // No Unicode isolation marks around placeholders: the text goes into e-mails, SMS and JSON,
    // where invisible characters would only get in the way (both languages run left to right).
    bundle.set_use_isolating(false);
    for (name, source) in files {
        let resource = FluentResource::try_new((*source).to_owned())
            .unwrap_or_else(|(_, errors)| panic!("message catalog {name} does not parse: {errors:?}"));
        bundle.add_resource(resource).unwrap_or_else(|errors| panic!("message catalog {name}: {errors:?}"));
    }
    bundle
}

fn of(locale: Locale) -> &'static FluentBundle<FluentResource> {
    match locale {
        Locale::Ja => &CATALOGS.ja,
        Locale::En => &CATALOGS.en,
    }
}

pub(super) fn format(locale: Locale, id: &str, args: &[(&str, Arg<'_>)]) -> String {
    let bundle = of(locale);
    let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
        tracing::warn!(locale = locale.tag(), id, "message missing from the catalog");
        return id.to_owned();
    };
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        let value = match value {
            Arg::Text(s) => FluentValue::from(s.as_ref()),
            Arg::Number(n) => FluentValue::from(*n),
        };
        fluent_args.set(*name, value);
    }
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors).into_owned();
    if !errors.is_empty() {
        tracing::warn!(locale = locale.tag(), id, ?errors, "message rendered with errors");
    }
    text
}

pub(super) fn has(locale: Locale, id: &str) -> bool {
    of(locale).has_message(id)
}

/// The catalogs' syntax trees, for tests and tooling that list entries and placeholders. The
/// source is `'static`, so the trees borrow it; they are parsed on first use only.
static SYNTAX: LazyLock<[Vec<ast::Resource<&'static str>>; 2]> = LazyLock::new(|| {
    let parse = |files: &[(&'static str, &'static str)]| {
        files.iter().map(|(_, source)| fluent_syntax::parser::parse(*source).unwrap_or_else(|(r, _)| r)).collect()
    };
    [parse(&JA), parse(&EN)]
});

fn entries(locale: Locale) -> impl Iterator<Item = &'static ast::Message<&'static str>> {
    let index = match locale {
        Locale::Ja => 0,
        Locale::En => 1,
    };
    SYNTAX[index].iter().flat_map(|r| &r.body).filter_map(|entry| match entry {
        ast::Entry::Message(m) => Some(m),
        _ => None,
    })
}

pub(super) fn ids(locale: Locale) -> Vec<String> {
    entries(locale).map(|m| m.id.name.to_owned()).collect()
}

pub(super) fn placeholders(locale: Locale, id: &str) -> Vec<String> {
    let mut names = Vec::new();
    for m in entries(locale).filter(|m| m.id.name == id) {
        if let Some(pattern) = &m.value {
            collect_variables(pattern, &mut names);
        }
    }
    names.sort();
    names.dedup();
    names
}

fn collect_variables(pattern: &ast::Pattern<&str>, names: &mut Vec<String>) {
    for element in &pattern.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            collect_from_expression(expression, names);
        }
    }
}

fn collect_from_expression(expression: &ast::Expression<&str>, names: &mut Vec<String>) {
    match expression {
        ast::Expression::Select { selector, variants } => {
            collect_from_inline(selector, names);
            for v in variants {
                collect_variables(&v.value, names);
            }
        }
        ast::Expression::Inline(inline) => collect_from_inline(inline, names),
    }
}

fn collect_from_inline(inline: &ast::InlineExpression<&str>, names: &mut Vec<String>) {
    match inline {
        ast::InlineExpression::VariableReference { id } => names.push(id.name.to_owned()),
        ast::InlineExpression::Placeable { expression } => collect_from_expression(expression, names),
        _ => {}
    }
}
