using System.Collections;
using System.Collections.Concurrent;
using Linq = System.Linq.Expressions;
using System.Reflection;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;
using Hl7.Fhir.Validation;

namespace Twine.Functions.Fhir;

/// <summary>
/// One walk over a resource parsed without Firely's per-element validator (<c>DeserializerSettings.Validator =
/// null</c>), answering whether that validator would have reported anything. It reads Firely's own model metadata
/// (each class's <see cref="PropertyMapping"/>s, their <see cref="CardinalityAttribute"/> and
/// <see cref="AllowedTypesAttribute"/>) and each primitive's own literal check (<see cref="PrimitiveType.HasValidValue"/>),
/// so it is not a second model of FHIR. What it covers, as <c>FhirAttributeValidator</c> does: unknown elements and
/// values of the wrong type (both land in a POCO's overflow), unknown resource types, missing required elements,
/// nulls in repeating elements, cardinality, choice types, invalid codes and malformed primitives (dates, instants,
/// URIs, ids, …), empty elements and nested contained resources. A class whose validation this walk does not know
/// (its own invariants or class-level attributes) is never passed.
/// </summary>
/// <remarks>
/// It only decides: any doubt answers false, and <see cref="FhirResourceReader"/> then parses again with the
/// validator, so the issues (codes, messages, paths) are always the SDK's own.
/// </remarks>
public static class FhirModelChecks
{
    private static readonly ModelInspector Inspector = ModelInfo.ModelInspector;
    private static readonly ConcurrentDictionary<Type, ClassRules?> Rules = new();

    // The validator attributes need a context only for the model inspector; no issue is ever created from it here.
    private static readonly PocoValidationContext Context =
        new(new Hl7.Fhir.Model.Basic(), Inspector, static () => "", null, null, NarrativeValidationKind.None);

    /// <summary>True when the validator would report nothing anywhere in <paramref name="resource"/>.</summary>
    public static bool Passes(Base resource)
    {
        try
        {
            return Passes(resource, 0);
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidCastException or ArgumentException or FormatException or OverflowException
                                      or CodedValidationException or NotSupportedException)
        {
            return false;
        }
    }

    /// <param name="via">The property the node was read from, which remembers the last class it held.</param>
    private static bool Passes(Base node, int depth, Child? via = null)
    {
        // Dynamic types (unknown resource types) have no rules: what a type is, is looked up once per type, not per node.
        if (depth > FhirLimits.MaxDepth || RulesFor(node.GetType(), via) is not { } rules || node.HasOverflow)
        {
            return false;
        }

        var hasElement = false;
        if (rules.IsPrimitive && ((PrimitiveType)node).JsonValue is not null)
        {
            if (!FhirLiteralVerdicts.IsValid((PrimitiveType)node))
            {
                return false;
            }

            hasElement = true;
        }

        foreach (var child in rules.Children)
        {
            // A compiled getter, not Base.TryGetValue's string switch; absent as TryGetValue says: null or an empty list.
            var value = child.Get(node);
            var list = child.IsList ? (IList?)value : null;
            if (value is null || list is { Count: 0 })
            {
                if (child.Min > 0)
                {
                    return false;
                }

                continue;
            }

            hasElement = true;
            if (list is null)
            {
                if (value is not Base single || child.Min > 1 || !Allowed(child, single) || !Passes(single, depth + 1, child))
                {
                    return false;
                }

                continue;
            }

            if (list.Count < child.Min || (child.Max != -1 && list.Count > child.Max) || !Allowed(child, value))
            {
                return false;
            }

            for (var i = 0; i < list.Count; i++)
            {
                if (list[i] is not Base element || !Passes(element, depth + 1, child)
                    || (child.IsContained && element is DomainResource { Contained.Count: > 0 }))
                {
                    return false;
                }
            }
        }

        return hasElement;
    }

    private static bool Allowed(Child child, object value)
    {
        foreach (var allowed in child.AllowedTypes)
        {
            // The attribute's own check allocates; an instance of a listed type is what it passes (dynamic types never get here).
            if (value is not IList && IsListed(allowed.Types, value))
            {
                continue;
            }

            if (allowed.Validate(value, Context).Count > 0)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsListed(Type[]? types, object value)
    {
        if (types is null)
        {
            return false;
        }

        foreach (var type in types)
        {
            if (type.IsInstanceOfType(value))
            {
                return true;
            }
        }

        return false;
    }

    private static ClassRules? RulesFor(Type type) => Rules.GetOrAdd(type, Build);

    /// <summary>
    /// A property nearly always holds the same class (Observation.code a CodeableConcept): the last one it held and its
    /// rules are kept on the property, so most nodes skip the dictionary. A stale read from another thread is only a miss.
    /// </summary>
    private static ClassRules? RulesFor(Type type, Child? via)
    {
        if (via?.Last is { } last && ReferenceEquals(last.Type, type))
        {
            return last.Rules;
        }

        var rules = RulesFor(type);
        if (via is not null)
        {
            via.Last = new Seen(type, rules);
        }

        return rules;
    }

    private static ClassRules? Build(Type type)
    {
        var mapping = Inspector.FindOrImportClassMapping(type);
        if (mapping is null || typeof(IDynamicType).IsAssignableFrom(type) || mapping.IsCustomMapping || mapping.ValidationAttributes.Length > 0 || HasOwnInvariants(type))
        {
            return null;
        }

        var children = new List<Child>();
        foreach (var property in mapping.PropertyMappings)
        {
            if (property.IsPrimitive)
            {
                continue; // a primitive's own value: HasValidValue checks it
            }

            var cardinality = property.ValidationAttributes.OfType<CardinalityAttribute>().SingleOrDefault();
            var allowed = property.ValidationAttributes.OfType<AllowedTypesAttribute>().ToArray();
            if (property.NativeProperty is null || property.ValidationAttributes.Any(a => a is not (CardinalityAttribute or AllowedTypesAttribute)))
            {
                return null;
            }

            children.Add(new Child(Getter(type, property.NativeProperty), cardinality?.Min ?? 0, cardinality?.Max ?? (property.IsCollection ? -1 : 1), allowed,
                property.Name == "contained" && typeof(DomainResource).IsAssignableFrom(type), typeof(IList).IsAssignableFrom(property.NativeProperty.PropertyType)));
        }

        return new ClassRules([.. children], typeof(PrimitiveType).IsAssignableFrom(type));
    }

    /// <summary>
    /// <c>node =&gt; (object)((Type)node).Property</c>: the property the mapping reads (the element, e.g. <c>StatusElement</c>, not
    /// the convenience value), compiled once per class and property. Firely 6.8.0's PropertyMapping keeps its own getter internal.
    /// A repeating element is read from its backing field (<c>_Category</c>) when the class has one: the property's getter
    /// creates and keeps an empty list for every absent one (about 40 per Observation), and null is absent all the same.
    /// </summary>
    private static Func<Base, object?> Getter(Type type, PropertyInfo property)
    {
        var node = Linq.Expression.Parameter(typeof(Base), "node");
        var field = typeof(IList).IsAssignableFrom(property.PropertyType)
            ? property.DeclaringType?.GetField("_" + property.Name, BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
            : null;
        var read = field is not null && field.FieldType == property.PropertyType
            ? Linq.Expression.Field(Linq.Expression.Convert(node, field.DeclaringType!), field)
            : Linq.Expression.Property(Linq.Expression.Convert(node, type), property);
        return Linq.Expression.Lambda<Func<Base, object?>>(Linq.Expression.Convert(read, typeof(object)), node).Compile();
    }

    /// <summary>Invariants beyond the ones this walk repeats (empty elements, primitive literals, nested contained).</summary>
    private static bool HasOwnInvariants(Type type)
    {
        var method = type.GetMethod("ValidateInvariants", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public);
        return method?.DeclaringType is { } declared && declared != typeof(Base) && declared != typeof(PrimitiveType) && declared != typeof(DomainResource);
    }

    private sealed record ClassRules(Child[] Children, bool IsPrimitive);

    /// <param name="IsList">The property is a repeating element (its value a list, or null when read from the backing field).</param>
    private sealed record Child(Func<Base, object?> Get, int Min, int Max, AllowedTypesAttribute[] AllowedTypes, bool IsContained, bool IsList)
    {
        public Seen? Last { get; set; }
    }

    private sealed record Seen(Type Type, ClassRules? Rules);
}

/// <summary>
/// <see cref="PrimitiveType.HasValidValue"/> with the verdicts for URIs and codes remembered: every Observation repeats
/// the same <c>system</c> URIs and codes, and their checks allocate (a <see cref="Uri"/>, a regex match). Only those
/// types are kept, never free text, identifiers' values or dates (patient data, and never repeated), and the cache is
/// small: when full it starts again empty, so a stream of distinct URIs (e.g. <c>urn:uuid:</c> fullUrls) costs a
/// clear now and then, never memory. Not kept: <c>Code&lt;T&gt;</c> (an enum's code), whose own check is a lookup,
/// cheaper than the cache's, and <c>urn:uuid:</c> URIs (a Bundle's fullUrls), which never repeat: keeping them only
/// filled the cache and cleared the literals that do repeat.
/// </summary>
public static class FhirLiteralVerdicts
{
    public const int MaxEntries = 1024;
    public const int MaxLength = 256;

    // The kept classes, exactly (a subclass is not kept), and one map of literal to verdict per class: a string key
    // hashes several times faster than a (Type, string) pair.
    private static readonly Type[] Kept = [typeof(FhirUri), typeof(Canonical), typeof(FhirUrl), typeof(Oid), typeof(Uuid), typeof(Code)];
    private static readonly ConcurrentDictionary<string, bool>[] Verdicts = [.. Kept.Select(_ => new ConcurrentDictionary<string, bool>())];

    private static int added;

    public static int Count => Verdicts.Sum(v => v.Count);

    public static bool IsValid(PrimitiveType primitive)
    {
        if (!IsKept(primitive, out var kept, out var literal))
        {
            return primitive.HasValidValue();
        }

        // The verdict is a function of the class and the literal alone.
        var verdicts = Verdicts[kept];
        if (verdicts.TryGetValue(literal, out var valid))
        {
            return valid;
        }

        valid = primitive.HasValidValue();
        if (Volatile.Read(ref added) >= MaxEntries)
        {
            // Count would take every map's locks on every miss; the counter is only about as exact as the bound needs.
            Interlocked.Exchange(ref added, 0);
            foreach (var each in Verdicts)
            {
                each.Clear();
            }
        }

        if (verdicts.TryAdd(literal, valid))
        {
            Interlocked.Increment(ref added);
        }

        return valid;
    }

    /// <summary>Whether the verdict on this primitive's literal is kept: a URI or a code, not too long, not a <c>urn:uuid:</c>.</summary>
    public static bool IsKept(PrimitiveType primitive) => IsKept(primitive, out _, out _);

    private static bool IsKept(PrimitiveType primitive, out int kept, out string literal)
    {
        kept = KeptIndex(primitive.GetType());
        literal = primitive.JsonValue as string ?? "";
        return kept >= 0 && primitive.JsonValue is string { Length: <= MaxLength }
            && !literal.StartsWith("urn:uuid:", StringComparison.Ordinal); // fullUrls: one per resource, never repeated
    }

    private static int KeptIndex(Type type)
    {
        for (var i = 0; i < Kept.Length; i++)
        {
            if (ReferenceEquals(Kept[i], type))
            {
                return i;
            }
        }

        return -1;
    }
}
