//! Person, place and organisation names of an article: mentions in running
//! text (`mentions`), whole-article entities with bylines and datelines
//! (`article`), and scoring against gold tags (`evaluate`).

pub mod article;
pub mod evaluate;
pub mod lexicon;
pub mod mentions;
pub mod tokens;

pub use article::{entities_of, learnable_names};
pub use mentions::{mentions_in_text, tagged_mentions};

/// What a name names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntityKind {
    /// A person (`楼阳生`).
    Person,
    /// A place (`太原市`, `山西`).
    Place,
    /// An organisation (`省公安厅`, `中国人民银行`).
    Org,
}

impl EntityKind {
    /// Every kind, in sort order.
    pub const ALL: [EntityKind; 3] = [EntityKind::Person, EntityKind::Place, EntityKind::Org];

    /// Returns the name used in storage, queries (`person:`) and facets.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Person => "person",
            EntityKind::Place => "place",
            EntityKind::Org => "org",
        }
    }

    /// Parses a stored name; unknown names are `None`.
    pub fn parse(name: &str) -> Option<Self> {
        EntityKind::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

/// A name of an article and how often the article names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Entity {
    /// What it names.
    pub kind: EntityKind,
    /// The name as printed.
    pub name: String,
    /// Mentions in the article (bylines and datelines count once each).
    pub count: u32,
}

/// One occurrence of a name in a text, with its span in characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mention {
    /// What it names.
    pub kind: EntityKind,
    /// The characters of the span.
    pub name: String,
    /// Index of the first character.
    pub start_char: usize,
    /// Index one past the last character.
    pub end_char: usize,
}
