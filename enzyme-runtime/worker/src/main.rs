fn main() {
    println!("{}", std::mem::size_of::<diffsl::enzyme::CFnTypeInfo>());
}
