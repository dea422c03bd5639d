//! What both splitters and both growth orders share: the training data and
//! a node's split ([`data`]), the split criteria ([`criterion`]),
//! scikit-learn's feature draw ([`draw`]), the growth limits and the one
//! stop rule ([`limits`]), the monotonic constraints ([`monotonic`]), and the categorical subset search
//! ([`categorical`]). Nothing here depends on a splitter or on the growth.

pub(crate) mod categorical;
pub(crate) mod criterion;
pub(crate) mod data;
pub(crate) mod draw;
pub(crate) mod limits;
pub(crate) mod monotonic;
