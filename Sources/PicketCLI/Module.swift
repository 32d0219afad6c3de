public enum PicketCommand { public static func main() {} }
