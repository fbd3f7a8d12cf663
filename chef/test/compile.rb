#!/usr/bin/env ruby
# Compiles a run list of this cookbook as chef-client's compile phase does, with a recording DSL
# in place of Chef's, and prints the resource collection as JSON, each template rendered: what a
# node would converge, for the cookbook test (tests/tests/chef_cookbook.rs) to check and to run
# parts of for real (the guards, the commands, the rendered files).
#
#   ruby chef/test/compile.rb [--node NODE.json] [--environment ENV.json] [--roles DIR]
#                             [--run-list ITEM,ITEM] [--ohai JSON] [--set JSON]
#
# Attributes are merged as Chef merges its precedence levels: attributes/default.rb, the
# environment's default_attributes, the roles' default_attributes, the node file's attributes
# (chef-solo -j: normal), the roles' override_attributes, the environment's
# override_attributes, then --set (the test's adjustments). Any of them setting an attribute
# default.rb does not define is refused; so is reading one. --ohai replaces the automatic
# attributes the recipes read (network, fqdn, hostname, ipaddress; loopback by default).
#
# The DSL knows the resources and properties the recipes use, and refuses others, so a typo is
# an error here, not a surprise on a node. After compiling it checks what Chef checks when it
# converges: every notification names a declared resource, and every template's @variables are
# exactly those its source uses. Errors go to stderr, exit status 1.
require_relative 'harness'

# Chef's logger, collecting warnings for the output.
module Chef
  module Log
    @warnings = []
    class << self
      attr_reader :warnings

      def warn(message)
        @warnings << message
      end

      def info(_message); end

      def debug(_message); end
    end
  end
end

# One declared resource, with the properties its block set.
class Resource
  COMMON = %w(action notifies subscribes not_if only_if retries retry_delay ignore_failure).freeze
  # type => [default action, actions, properties]
  TYPES = {
    'package' => [:install, %i(install upgrade remove purge nothing), %w(package_name version options)],
    'group' => [:create, %i(create remove modify manage nothing), %w(group_name gid system members append)],
    'user' => [:create, %i(create remove modify manage lock unlock nothing),
               %w(username uid gid home shell system manage_home comment)],
    'directory' => [:create, %i(create delete nothing), %w(path owner group mode recursive)],
    'template' => [:create, %i(create create_if_missing delete touch nothing),
                   %w(path source variables owner group mode verify manage_symlink_source backup sensitive)],
    'file' => [:create, %i(create create_if_missing delete touch nothing),
               %w(path content owner group mode verify backup sensitive)],
    'link' => [:create, %i(create delete nothing), %w(target_file to link_type owner group)],
    'execute' => [:run, %i(run nothing),
                  %w(command creates cwd environment user group umask live_stream timeout returns sensitive)],
    'ruby_block' => [:run, %i(run create nothing), %w(block block_name)],
    'service' => [:nothing, %i(enable disable start stop restart reload nothing), %w(service_name supports)],
  }.freeze
  TIMINGS = %i(delayed immediately before).freeze

  attr_reader :type, :name, :recipe, :properties, :guards, :notifications, :subscriptions

  def initialize(type, name, recipe, node)
    @type = type
    @name = name.is_a?(Array) ? name.join(", ") : name.to_s
    @recipe = recipe
    @node = node
    @action = [TYPES.fetch(type)[0]]
    @properties = {}
    @guards = []
    @notifications = []
    @subscriptions = []
    # The type's properties: with a value (or a block, for ruby_block's `block`) one is set,
    # without one it is read. Methods of their own, since Kernel has `system` and others.
    TYPES.fetch(type)[2].each do |property|
      define_singleton_method(property) do |value = nil, &block|
        property(property, block || value)
      end
    end
  end

  attr_reader :node

  def id
    "#{type}[#{name}]"
  end

  def action(*actions)
    return @action if actions.empty?
    actions = actions.flatten.map(&:to_sym)
    bad = actions - TYPES.fetch(type)[1]
    raise Harness::Refused, "#{id}: action #{bad.join(', ')} is not one of #{type}'s" unless bad.empty?
    @action = actions
  end

  def not_if(command = nil, &block)
    guard('not_if', command, block)
  end

  def only_if(command = nil, &block)
    guard('only_if', command, block)
  end

  def notifies(action, target, timing = :delayed)
    @notifications << edge('notifies', action, target, timing)
  end

  def subscribes(action, source, timing = :delayed)
    @subscriptions << edge('subscribes', action, source, timing)
  end

  def retries(count = nil)
    property('retries', count)
  end

  def retry_delay(seconds = nil)
    property('retry_delay', seconds)
  end

  def ignore_failure(value = nil)
    property('ignore_failure', value)
  end

  def to_json_value
    {
      'resource' => id, 'type' => type, 'name' => name, 'recipe' => recipe,
      'action' => @action.map(&:to_s),
      'properties' => properties.transform_values { |v| plain(v) },
      'guards' => guards, 'notifies' => notifications, 'subscribes' => subscriptions
    }
  end

  private

  def property(key, value)
    return @properties[key] if value.nil?
    @properties[key] = value
  end

  def guard(kind, command, block)
    raise ArgumentError, "#{id}: #{kind} takes a command or a block, not both" if command && block
    raise ArgumentError, "#{id}: #{kind} needs a command or a block" unless command || block
    @guards << { 'kind' => kind, 'command' => command, 'ruby' => !block.nil? }
  end

  def edge(kind, action, other, timing)
    unless other.is_a?(String) && other.match?(/\A[a-z_]+\[.+\]\z/m)
      raise Harness::Refused, "#{id}: #{kind} #{other.inspect} is not 'type[name]'"
    end
    raise Harness::Refused, "#{id}: #{kind} timing #{timing} is not one of #{TIMINGS.join(', ')}" \
      unless TIMINGS.include?(timing.to_sym)
    { 'action' => action.to_s, 'resource' => other, 'timing' => timing.to_s }
  end

  def plain(value)
    case value
    when Proc then '(ruby block)'
    when Symbol then value.to_s
    when Hash then value.to_h { |k, v| [k.to_s, plain(v)] }
    when Array then value.map { |v| plain(v) }
    else value
    end
  end
end

# The compile phase: recipes evaluated in order into one resource collection.
class Compiler
  attr_reader :node, :resources, :loaded

  def initialize(node)
    @node = node
    @resources = []
    @loaded = []
  end

  def load(item)
    name = item.include?('::') ? item : "#{item}::default"
    cookbook, recipe = name.split('::', 2)
    raise Harness::Refused, "recipe #{name}: only cookbook midonet_vpc is here" unless cookbook == 'midonet_vpc'
    return if @loaded.include?(name)
    @loaded << name
    path = File.join(Harness::COOKBOOK, 'recipes', "#{recipe}.rb")
    raise Harness::Refused, "recipe #{name} does not exist (#{path})" unless File.file?(path)
    RecipeContext.new(self, name).instance_eval(File.read(path), path)
  end

  def add(resource, block)
    if find(resource.type, resource.name)
      raise Harness::Refused, "#{resource.id} is declared twice (#{resource.recipe})"
    end
    @resources << resource
    resource.instance_eval(&block) if block
    resource
  end

  def find(type, name)
    @resources.find { |r| r.type == type.to_s && r.name == name.to_s }
  end
end

# What a recipe file is evaluated in: `node`, include_recipe, edit_resource! and the resources.
class RecipeContext
  def initialize(compiler, name)
    @compiler = compiler
    @name = name
  end

  def node
    @compiler.node
  end

  def include_recipe(name)
    @compiler.load(name)
  end

  def edit_resource!(type, name, &block)
    found = @compiler.find(type, name)
    raise Harness::Refused, "#{@name}: edit_resource!: #{type}[#{name}] is not declared" unless found
    found.instance_eval(&block)
    found
  end

  Resource::TYPES.each_key do |type|
    define_method(type) do |name, &block|
      @compiler.add(Resource.new(type, name, @name, node), block)
    end
  end
end

# The run list, roles expanded: recipe names, in order, each once.
def expand(items, roles_dir, roles, seen = [])
  items.flat_map do |item|
    case item
    when /\Arole\[(.+)\]\z/
      role = Regexp.last_match(1)
      raise Harness::Refused, "role #{role} includes itself" if seen.include?(role)
      path = File.join(roles_dir.to_s, "#{role}.json")
      raise Harness::Refused, "role[#{role}]: no #{path}" unless roles_dir && File.file?(path)
      data = JSON.parse(File.read(path))
      raise Harness::Refused, "#{path}: its name is #{data['name'].inspect}" unless data['name'] == role
      roles << [path, data]
      expand(data.fetch('run_list', []), roles_dir, roles, seen + [role])
    when /\Arecipe\[(.+)\]\z/ then [Regexp.last_match(1)]
    else [item]
    end
  end.uniq
end

OHAI = {
  'fqdn' => 'localhost', 'hostname' => 'localhost', 'ipaddress' => '127.0.0.1',
  'network' => { 'interfaces' => { 'lo' => { 'addresses' => { '127.0.0.1' => { 'family' => 'inet' } } } } }
}.freeze

options = { 'run_list' => nil, 'set' => {}, 'ohai' => {} }
args = ARGV.dup
until args.empty?
  arg = args.shift
  value = args.shift || abort("compile: #{arg} needs a value")
  case arg
  when '--node', '--environment', '--roles' then options[arg[2..]] = value
  when '--run-list' then options['run_list'] = value.split(',')
  when '--set', '--ohai' then options[arg[2..]] = JSON.parse(value)
  else abort "compile: unknown option #{arg}"
  end
end

begin
  defaults = Harness::Defaults.load
  shape = { 'midonet_vpc' => defaults['midonet_vpc'] }
  node_file = options['node'] ? JSON.parse(File.read(options['node'])) : {}
  run_list = options['run_list'] || node_file['run_list'] ||
             raise(Harness::Refused, 'no run list: give --run-list or a --node file with one')
  roles = []
  recipes = expand(run_list, options['roles'], roles)
  environment = options['environment'] ? JSON.parse(File.read(options['environment'])) : {}
  normal = node_file.reject { |key, _| %w(name chef_environment run_list).include?(key) }
  levels = [[options['environment'], environment.fetch('default_attributes', {})]] +
           roles.map { |path, role| [path, role.fetch('default_attributes', {})] } +
           [[options['node'], normal]] +
           roles.map { |path, role| [path, role.fetch('override_attributes', {})] } +
           [[options['environment'], environment.fetch('override_attributes', {})],
            ['--set', options['set']]]
  tree = levels.reduce(defaults) do |merged, (source, attributes)|
    Harness.merge(merged, attributes, shape, source.to_s)
  end
  Harness.load_libraries
  node = Harness.node(OHAI.merge(options['ohai']).merge(tree), defaults)

  compiler = Compiler.new(node)
  recipes.each { |recipe| compiler.load(recipe) }

  declared = compiler.resources.map(&:id)
  compiler.resources.each do |resource|
    (resource.notifications + resource.subscriptions).each do |edge|
      next if declared.include?(edge['resource'])
      raise Harness::Refused, "#{resource.id} names #{edge['resource']}, which no recipe declares"
    end
  end
  output = compiler.resources.map do |resource|
    json = resource.to_json_value
    if resource.type == 'template'
      variables = resource.properties.fetch('variables', {})
      json['content'] = Harness.render(node, resource.properties.fetch('source'), variables)
    end
    json
  end
  puts JSON.pretty_generate('recipes' => compiler.loaded, 'resources' => output,
                            'warnings' => Chef::Log.warnings)
rescue Harness::Refused, ArgumentError, KeyError, TypeError, NameError, JSON::ParserError,
       Errno::ENOENT => e
  abort "compile: #{e.message}"
end
