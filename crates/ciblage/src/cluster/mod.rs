//! Clustering: k-prototypes for mixed numeric and categorical features,
//! k-modes for categorical ones, the metrics that help choose the number
//! of clusters, and the profile of the segments found.

pub mod kmodes;
pub mod kprototypes;
mod kprototypes_data;
mod kprototypes_fit;
mod kprototypes_init;
mod kprototypes_model;
pub mod metrics;

pub use kmodes::{KModes, KModesModel, KModesParams, KModesValidParams};
pub use kprototypes::{KPrototypes, KPrototypesInit, KPrototypesParams, KPrototypesValidParams};
pub use kprototypes_model::{KPrototypesModel, KPROTOTYPES_MODEL_VERSION};
pub use metrics::{
    adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score, Silhouette,
    SilhouetteParams, SilhouetteScore, SilhouetteValidParams,
};
