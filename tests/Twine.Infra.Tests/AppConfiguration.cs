using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Http.Resilience;
using Twine.Client;
using Twine.Functions.Platform.Secrets;
using Twine.Functions.Platform.Storage;

namespace Twine.Infra.Tests;

/// <summary>
/// The configuration keys the app reads, worked out from its code by reflection, as app setting names
/// (<c>Section__Property</c>, the form Azure app settings take):
/// <list type="bullet">
/// <item>options classes: every type in the app's assemblies with a <c>const string SectionName</c>, and its public
/// settable properties;</item>
/// <item>binding expressions of the functions' trigger attributes (<c>%Storage:MetricsQueue%</c>), which the Functions
/// host resolves from app settings at start-up;</item>
/// <item>connections named by triggers (<c>Connection = "TwineStorage"</c>) and by <see cref="StorageConnectionOptions"/>.</item>
/// </list>
/// </summary>
internal static partial class AppConfiguration
{
    public static IReadOnlyList<Assembly> Assemblies { get; } =
    [
        typeof(TwineClientOptions).Assembly,
        typeof(StorageOptions).Assembly,
    ];

    /// <summary>Options section name to the options type bound from it.</summary>
    public static IReadOnlyDictionary<string, Type> OptionsSections { get; } = FindOptionsSections();

    /// <summary>
    /// Subsections bound to a library's options type instead of a property of the app's options class:
    /// <c>Twine:Resilience</c> is the standard resilience handler's <see cref="HttpStandardResilienceOptions"/>.
    /// </summary>
    public static IReadOnlyDictionary<string, Type> LibraryOptionsSections { get; } = new Dictionary<string, Type>(StringComparer.OrdinalIgnoreCase)
    {
        [SettingName(TwineClientOptions.SectionName, TwineClientOptions.ResilienceSectionName)] = typeof(HttpStandardResilienceOptions),
    };

    /// <summary>
    /// Every <c>Section__Property</c> the options classes bind, and every <c>Section__Sub__...__Property</c> of a library's
    /// options (e.g. <c>Twine__Resilience__Retry__MaxRetryAttempts</c>).
    /// </summary>
    public static IReadOnlySet<string> OptionsKeys { get; } = OptionsSections
        .SelectMany(s => BindableProperties(s.Value).Select(p => SettingName(s.Key, p.Name)))
        .Concat(LibraryOptionsSections.SelectMany(s => ScalarSettings(s.Key, s.Value, depth: 3)))
        .ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Settings named by <c>%Section:Key%</c> binding expressions in the functions' attributes.</summary>
    public static IReadOnlySet<string> BindingExpressionKeys { get; } = FindAttributeStrings()
        .SelectMany(s => BindingExpression().Matches(s).Select(m => m.Groups[1].Value.Replace(":", "__", StringComparison.Ordinal)))
        .ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Connection names the functions' trigger and binding attributes use (their <c>Connection</c> property).</summary>
    public static IReadOnlySet<string> TriggerConnections { get; } = FindTriggerConnections();

    /// <summary>Sections the app knows: those of options classes and of binding expressions.</summary>
    public static IReadOnlySet<string> KnownSections { get; } = OptionsSections.Keys
        .Concat(BindingExpressionKeys.Select(k => k.Split("__")[0]))
        .ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Settings without which the app cannot work in Azure: properties marked [Required], the Twine base address
    /// (validated at start-up by TwineClientOptionsValidator), the vault URI (in Azure the Twine credentials come
    /// from Key Vault), and every binding expression (the host cannot index a function whose expression is unset).
    /// </summary>
    public static IReadOnlySet<string> RequiredKeys { get; } = OptionsSections
        .SelectMany(s => BindableProperties(s.Value)
            .Where(p => p.GetCustomAttribute<RequiredAttribute>() is not null)
            .Select(p => SettingName(s.Key, p.Name)))
        .Append(SettingName(TwineClientOptions.SectionName, nameof(TwineClientOptions.BaseAddress)))
        .Append(SettingName(TwineSecretsOptions.SectionName, nameof(TwineSecretsOptions.VaultUri)))
        .Concat(BindingExpressionKeys)
        .ToHashSet(StringComparer.OrdinalIgnoreCase);

    public static string SettingName(string section, string key) => $"{section}__{key}";

    public static IEnumerable<PropertyInfo> BindableProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0);

    /// <summary>Settings a configuration value can set: scalar properties, and those of nested options objects (not delegates).</summary>
    private static IEnumerable<string> ScalarSettings(string prefix, Type type, int depth) =>
        BindableProperties(type).SelectMany(p =>
        {
            var propertyType = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
            if (propertyType.IsPrimitive || propertyType.IsEnum || propertyType == typeof(string) || propertyType == typeof(TimeSpan)
                || propertyType == typeof(decimal) || propertyType == typeof(Uri))
            {
                return [SettingName(prefix, p.Name)];
            }

            return depth > 0 && propertyType.IsClass && !typeof(Delegate).IsAssignableFrom(propertyType)
                ? ScalarSettings(SettingName(prefix, p.Name), propertyType, depth - 1)
                : [];
        });

    private static Dictionary<string, Type> FindOptionsSections()
    {
        var sections = new Dictionary<string, Type>(StringComparer.OrdinalIgnoreCase);
        foreach (var type in Assemblies.SelectMany(LoadableTypes))
        {
            var field = type.GetField("SectionName", BindingFlags.Public | BindingFlags.Static);
            if (field is { IsLiteral: true } && field.FieldType == typeof(string) && field.GetRawConstantValue() is string section)
            {
                sections.Add(section, type);
            }
        }

        return sections;
    }

    private static IEnumerable<CustomAttributeData> FunctionAttributes() =>
        Assemblies.SelectMany(LoadableTypes)
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => m.CustomAttributes.Any(a => a.AttributeType.FullName == "Microsoft.Azure.Functions.Worker.FunctionAttribute")) // only functions bind settings
            .SelectMany(m => m.CustomAttributes.Concat(m.GetParameters().SelectMany(p => p.CustomAttributes)));

    private static IEnumerable<string> FindAttributeStrings() =>
        FunctionAttributes().SelectMany(a =>
            a.ConstructorArguments.Select(c => c.Value)
                .Concat(a.NamedArguments.Select(n => n.TypedValue.Value))
                .OfType<string>());

    private static HashSet<string> FindTriggerConnections() =>
        FunctionAttributes()
            .SelectMany(a => a.NamedArguments)
            .Where(n => n.MemberName == "Connection" && n.TypedValue.Value is string)
            .Select(n => (string)n.TypedValue.Value!)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);

    private static IEnumerable<Type> LoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            return e.Types.OfType<Type>();
        }
    }

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex BindingExpression();
}
