namespace Twine.Client; public static class Placeholder {}
