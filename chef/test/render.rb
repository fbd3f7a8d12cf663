#!/usr/bin/env ruby
# Renders this cookbook's templates outside Chef, for the cookbook test
# (tests/tests/chef_cookbook.rs): the node holds exactly attributes/default.rb's values, overridden
# by --set (which may only change attributes default.rb defines), reading any attribute it does not
# define fails, and the template's @variables are exactly those given with --var. The libraries
# are loaded first, as Chef loads them before any template.
#
#   ruby chef/test/render.rb TEMPLATE [--set JSON] [--var NAME=JSON]...   # the rendering, on stdout
#   ruby chef/test/render.rb --attributes                                 # every defined path
require 'erb'
require 'json'

COOKBOOK = File.expand_path('..', __dir__)

# attributes/default.rb's `default[...][...] = value`, collected into nested hashes.
class Defaults
  def initialize
    @tree = Hash.new { |hash, key| hash[key] = Hash.new(&hash.default_proc) }
  end

  def default
    @tree
  end

  def load(path)
    instance_eval(File.read(path), path)
    plain(@tree)
  end

  private

  def plain(value)
    value.is_a?(Hash) ? value.to_h { |k, v| [k, plain(v)] } : value
  end
end

# Leaf paths of `tree`. An empty hash is a leaf: a map attribute whose keys the user chooses.
def leaves(tree, prefix = [])
  tree.flat_map do |key, value|
    path = prefix + [key]
    value.is_a?(Hash) && !value.empty? ? leaves(value, path) : [path]
  end
end

def path_name(path)
  "node#{path.map { |key| "['#{key}']" }.join}"
end

# `overrides` merged into `tree`; a key the defaults do not have is an error.
def merge(tree, overrides, prefix = [])
  overrides.each do |key, value|
    path = prefix + [key]
    abort "render: --set #{path_name(path)} is not defined in attributes/default.rb" unless tree.key?(key)
    if tree[key].is_a?(Hash) && !tree[key].empty?
      abort "render: --set #{path_name(path)} must be an object" unless value.is_a?(Hash)
      merge(tree[key], value, path)
    else
      tree[key] = value
    end
  end
  tree
end

# The node as templates see it: reading an attribute that is not defined raises.
class StrictAttributes
  def initialize(tree, path = [])
    @tree = tree
    @path = path
  end

  def [](key)
    key = key.to_s
    unless @tree.key?(key)
      raise KeyError, "#{path_name(@path + [key])} is not defined in attributes/default.rb"
    end
    value = @tree[key]
    value.is_a?(Hash) ? StrictAttributes.new(value, @path + [key]) : value
  end

  def to_a
    raise TypeError, "#{path_name(@path)} is a group of attributes, not a list"
  end
end

# What a template is evaluated in: `node` and its @variables.
class TemplateContext
  def initialize(node, variables)
    @node = node
    variables.each { |name, value| instance_variable_set("@#{name}", value) }
  end

  attr_reader :node

  def render(source, path)
    erb = ERB.new(source, trim_mode: '-')
    erb.filename = path
    erb.result(binding)
  end
end

defaults = Defaults.new.load(File.join(COOKBOOK, 'attributes', 'default.rb'))
if ARGV == ['--attributes']
  leaves(defaults).each { |path| puts path.join('.') }
  exit
end

template = nil
overrides = {}
variables = {}
args = ARGV.dup
until args.empty?
  arg = args.shift
  case arg
  when '--set' then overrides = JSON.parse(args.shift || abort('render: --set needs JSON'))
  when '--var'
    name, json = (args.shift || abort('render: --var needs NAME=JSON')).split('=', 2)
    variables[name] = JSON.parse(json, quirks_mode: true)
  else
    abort "render: one template only (#{template} and #{arg})" if template
    template = arg
  end
end
abort 'usage: render.rb TEMPLATE [--set JSON] [--var NAME=JSON]... | --attributes' unless template

Dir[File.join(COOKBOOK, 'libraries', '*.rb')].sort.each { |library| require library }
path = File.exist?(template) ? template : File.join(COOKBOOK, 'templates', 'default', template)
source = File.read(path)
# Instance variables inside ERB tags; `@system-service` in a unit's text is no variable.
used = source.scan(/<%.*?%>/m).join.scan(/@(\w+)/).flatten.uniq.sort
missing = used - variables.keys
abort "render: #{File.basename(path)} uses @#{missing.join(', @')}: give --var" unless missing.empty?
unused = variables.keys - used
abort "render: #{File.basename(path)} does not use @#{unused.join(', @')}" unless unused.empty?

node = StrictAttributes.new(merge(defaults, overrides))
print TemplateContext.new(node, variables).render(source, path)
