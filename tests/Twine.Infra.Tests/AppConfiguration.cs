using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Http.Resilience;
using Twine.Client;
using Twine.Functions.Fhir;
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

    /// <summary>
    /// Named options, one instance per name, bound from <c>Prefix:&lt;name&gt;</c>: reflection over <c>SectionName</c> cannot
    /// list them (the names are the deployment's). <c>Fhir:Partners:&lt;partner&gt;</c> is <see cref="FhirPartnerOptions"/>.
    /// </summary>
    public static IReadOnlyDictionary<string, Type> NamedOptionsSections { get; } = new Dictionary<string, Type>(StringComparer.OrdinalIgnoreCase)
    {
        [FhirPartnerOptions.SectionPrefix.Replace(":", "__", StringComparison.Ordinal)] = typeof(FhirPartnerOptions),
    };

    /// <summary>
    /// Whether <paramref name="name"/> is a setting of named options: <c>Prefix__&lt;name&gt;__Property</c> for a scalar
    /// property, or <c>Prefix__&lt;name&gt;__ListProperty__&lt;index&gt;__ItemProperty</c> for an item of a list property
    /// (e.g. <c>Fhir__Partners__acme__IdentifierSystems__0__FhirSystem</c>). Names are letters and digits, as partner names are.
    /// </summary>
    public static bool IsNamedOptionsKey(string name)
    {
        foreach (var (prefix, type) in NamedOptionsSections)
        {
            if (!name.StartsWith(prefix + "__", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var parts = name[(prefix.Length + 2)..].Split("__");
            if (parts.Length < 2 || !NamedOptionsName().IsMatch(parts[0]))
            {
                return false;
            }

            var property = BindableProperties(type).FirstOrDefault(p => string.Equals(p.Name, parts[1], StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                return false;
            }

            if (parts.Length == 2)
            {
                return IsScalar(property.PropertyType);
            }

            var item = property.PropertyType.IsGenericType && property.PropertyType.GetGenericTypeDefinition() == typeof(List<>)
                ? property.PropertyType.GetGenericArguments()[0]
                : null;
            return parts.Length == 4 && item is not null
                && uint.TryParse(parts[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _)
                && BindableProperties(item).Any(p => string.Equals(p.Name, parts[3], StringComparison.OrdinalIgnoreCase) && IsScalar(p.PropertyType));
        }

        return false;
    }

    private static bool IsScalar(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(TimeSpan) || type == typeof(decimal) || type == typeof(Uri);
    }

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

    [GeneratedRegex("^[A-Za-z0-9]{1,64}$")]
    private static partial Regex NamedOptionsName();

        [GeneratedRegex("%([^%]+)%")]
    private static partial Regex BindingExpression();
}
