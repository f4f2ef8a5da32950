//! Italian first, English second: Fluent message files embedded in the binary.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::langid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    It,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::It => "it",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim() {
            "it" => Some(Lang::It),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The first of our languages named in an `Accept-Language` header (API clients).
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        header.split(',').find_map(|part| {
            let tag = part.split(';').next()?.trim();
            Lang::parse(tag.get(..2)?)
        })
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::It => Lang::En,
            Lang::En => Lang::It,
        }
    }

    /// Picks the Italian or English variant of a text stored in both.
    pub fn pick<'a>(self, it: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::It => it,
            Lang::En => en,
        }
    }
}

pub struct I18n {
    it: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

fn bundle(lang: unic_langid::LanguageIdentifier, source: &str) -> FluentBundle<FluentResource> {
    let resource =
        FluentResource::try_new(source.to_owned()).expect("the embedded .ftl files parse");
    let mut b = FluentBundle::new_concurrent(vec![lang]);
    // Unicode isolation marks would end up inside HTML attributes and e-mail subjects.
    b.set_use_isolating(false);
    b.add_resource(resource).expect("no duplicate message ids");
    b
}

impl I18n {
    pub fn new() -> I18n {
        I18n {
            it: bundle(langid!("it"), include_str!("../locales/it.ftl")),
            en: bundle(langid!("en"), include_str!("../locales/en.ftl")),
        }
    }

    /// The message `id` in `lang` (the id itself if missing, so a gap shows but never breaks).
    pub fn t(&self, lang: Lang, id: &str, args: &[(&str, FluentValue)]) -> String {
        let b = match lang {
            Lang::It => &self.it,
            Lang::En => &self.en,
        };
        let Some(pattern) = b.get_message(id).and_then(|m| m.value()) else {
            return id.to_owned();
        };
        let mut fargs = FluentArgs::new();
        for (k, v) in args {
            fargs.set(*k, v.clone());
        }
        let mut errors = vec![];
        b.format_pattern(pattern, Some(&fargs), &mut errors)
            .into_owned()
    }

    pub fn has(&self, lang: Lang, id: &str) -> bool {
        match lang {
            Lang::It => self.it.has_message(id),
            Lang::En => self.en.has_message(id),
        }
    }
}

impl Default for I18n {
    fn default() -> Self {
        Self::new()
    }
}

tokio::task_local! {
    /// The language of the request being served, so errors can speak it wherever they arise.
    pub static REQUEST_LANG: Lang;
}

pub fn request_lang() -> Lang {
    REQUEST_LANG.try_with(|l| *l).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every message exists in both languages: a page never shows a raw id.
    #[test]
    fn both_languages_have_the_same_messages() {
        let ids = |src: &str| -> Vec<String> {
            src.lines()
                .filter(|l| {
                    l.chars().next().is_some_and(|c| c.is_ascii_lowercase()) && l.contains(" =")
                })
                .map(|l| l.split(" =").next().unwrap().trim().to_owned())
                .collect()
        };
        let it = ids(include_str!("../locales/it.ftl"));
        let en = ids(include_str!("../locales/en.ftl"));
        let i18n = I18n::new();
        for id in &it {
            assert!(i18n.has(Lang::En, id), "missing in en.ftl: {id}");
        }
        for id in &en {
            assert!(i18n.has(Lang::It, id), "missing in it.ftl: {id}");
        }
        assert!(it.len() > 50);
    }

    #[test]
    fn accept_language() {
        assert_eq!(Lang::from_accept_language("en-GB,en;q=0.9"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("de,it;q=0.5"), Some(Lang::It));
        assert_eq!(Lang::from_accept_language("de"), None);
    }
}
