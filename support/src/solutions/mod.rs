//! Reference solutions to the chapters' exercises, each tested against its checker in
//! [`crate::exercises`]. Try the exercise first: the notebook says where each answer is.

pub mod ch01;
#[cfg(feature = "web")]
pub mod ch02;
pub mod ch03;
pub mod ch04;
pub mod ch05;
#[cfg(feature = "web")]
pub mod ch06;
#[cfg(feature = "web")]
pub mod ch07;
#[cfg(feature = "web")]
pub mod ch08;
pub mod ch09;
pub mod ch10;
pub mod ch11;
