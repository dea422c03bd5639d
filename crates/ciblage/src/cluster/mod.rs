//! Clustering of customers on their features.
//!
//! k-means ([`KMeans`]) on numeric features: k-means++ initialisation
//! (scikit-learn's greedy variant), Lloyd iterations or Hamerly's bounds
//! (`"elkan"`, as scikit-learn names the bounded algorithm), several
//! initialisations keeping the best inertia, sample weights, initial centres
//! given by the caller, and a mini-batch mode ([`MiniBatch`]) for tens of
//! millions of rows. The features can be prepared first ([`Preparation`]:
//! `log1p`, rank, winsorising, standardisation); the fitted preparation is
//! kept in the model ([`KMeansModel`]) and applied again by `predict`.
//!
//! k-prototypes ([`KPrototypes`]) for mixed numeric and categorical
//! features and k-modes ([`KModes`]) for categorical ones, the metrics that
//! help choose the number of clusters ([`metrics`]).
//!
//! Work is split into fixed chunks of rows and the partial sums are added in
//! chunk order, so that a fit gives the same result for any number of
//! threads.
//!
//! ```
//! use ciblage::cluster::KMeans;
//! use ciblage::ndarray::array;
//!
//! let x = array![[1.0, 1.0], [1.2, 0.8], [8.0, 8.0], [8.2, 7.9]];
//! let model = KMeans::params().n_clusters(2).seed(7).fit(x.view(), None)?;
//! assert_eq!(model.labels()[0], model.labels()[1]);
//! assert_ne!(model.labels()[0], model.labels()[2]);
//! assert_eq!(model.predict(ciblage::ndarray::array![[7.5, 8.5]].view())?[0], model.labels()[2]);
//! # Ok::<(), ciblage::CiblageError>(())
//! ```

pub mod choose_k;
mod kmeans;
mod kmeans_data;
mod kmeans_init;
mod kmeans_iter;
mod kmeans_lloyd;
mod kmeans_minibatch;
mod kmeans_options;
#[cfg(test)]
mod kmeans_tests;
mod model;
pub mod prepare;
pub mod profile;
pub mod stability;

pub use choose_k::{ChooseK, ChooseKParams, ChooseKValidParams, ClusterCountChoice, KScore};
pub use kmeans::{KMeans, KMeansParams, KMeansValidParams};
pub use kmeans_options::{KMeansAlgorithm, KMeansInit, MiniBatch};
pub use model::{KMeansModel, KMEANS_MODEL_VERSION};
pub use prepare::{FittedPreparation, Preparation};
pub use profile::{
    CategoricalProfile, NumericProfile, Profile, ProfileData, ProfileParams, ProfileValidParams,
    SegmentProfiles, TopCategory,
};
pub use stability::{ClusterStability, Resample, Stability, StabilityParams, StabilityValidParams};

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
