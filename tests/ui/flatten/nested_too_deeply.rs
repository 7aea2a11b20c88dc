use jwt_config::Config;

#[derive(Config)]
struct L0 {
    port: Option<u16>,
}

#[derive(Config)]
struct L1 {
    #[config(flatten, prefix = "P1_")]
    inner: L0,
}

#[derive(Config)]
struct L2 {
    #[config(flatten, prefix = "P2_")]
    inner: L1,
}

#[derive(Config)]
struct L3 {
    #[config(flatten, prefix = "P3_")]
    inner: L2,
}

#[derive(Config)]
struct L4 {
    #[config(flatten, prefix = "P4_")]
    inner: L3,
}

#[derive(Config)]
struct L5 {
    #[config(flatten, prefix = "P5_")]
    inner: L4,
}

#[derive(Config)]
struct L6 {
    #[config(flatten, prefix = "P6_")]
    inner: L5,
}

#[derive(Config)]
struct L7 {
    #[config(flatten, prefix = "P7_")]
    inner: L6,
}

#[derive(Config)]
struct L8 {
    #[config(flatten, prefix = "P8_")]
    inner: L7,
}

#[derive(Config)]
struct L9 {
    #[config(flatten, prefix = "P9_")]
    inner: L8,
}

#[derive(Config)]
struct L10 {
    #[config(flatten, prefix = "P10_")]
    inner: L9,
}

#[derive(Config)]
struct L11 {
    #[config(flatten, prefix = "P11_")]
    inner: L10,
}

#[derive(Config)]
struct L12 {
    #[config(flatten, prefix = "P12_")]
    inner: L11,
}

#[derive(Config)]
struct L13 {
    #[config(flatten, prefix = "P13_")]
    inner: L12,
}

#[derive(Config)]
struct L14 {
    #[config(flatten, prefix = "P14_")]
    inner: L13,
}

#[derive(Config)]
struct L15 {
    #[config(flatten, prefix = "P15_")]
    inner: L14,
}

#[derive(Config)]
struct L16 {
    #[config(flatten, prefix = "P16_")]
    inner: L15,
}

#[derive(Config)]
struct L17 {
    #[config(flatten, prefix = "P17_")]
    inner: L16,
}

fn main() {}
